import { vaultIntegration } from '../helpers/definitions';
// Integrations the widget tests install: every field type, options from Slack, a required checkbox.

const post = [{ id: 'post', connector: 'streamData', action: 'post', input: { url: 'https://hooks.example.com/forms' } }];

/** Every field type, on an account-less connector. */
export const forms = {
  id: 'forms',
  app: 'Forms',
  connector: 'streamData',
  icon: '/icons/stream-data.svg',
  workflows: [
    {
      id: 'forms-forward',
      name: 'Forward forms',
      version: 1,
      trigger: { type: 'customEvent', event: 'Form Sent', schema: { formId: 'String' } },
      blocks: post,
      fields: [
        { name: 'title', label: 'Title', type: 'text', required: true, placeholder: 'A title' },
        { name: 'apiKey', label: 'API key', type: 'secret', required: true },
        { name: 'limit', label: 'Limit', type: 'number', required: true },
        { name: 'notify', label: 'Notify the team', type: 'boolean' },
        {
          name: 'region',
          label: 'Region',
          type: 'select',
          required: true,
          options: [
            { label: 'US', value: 'us' },
            { label: 'EU', value: 'eu' },
          ],
        },
        {
          name: 'tags',
          label: 'Tags',
          type: 'multiselect',
          options: [
            { label: 'Red', value: 'red' },
            { label: 'Green', value: 'green' },
            { label: 'Blue', value: 'blue' },
          ],
        },
      ],
    },
  ],
};

/** A second integration on Slack whose select takes its options from Slack. */
export const alerts = {
  id: 'alerts',
  app: 'Alerts',
  connector: 'slack',
  icon: '/icons/slack.svg',
  workflows: [
    {
      id: 'alerts-post',
      name: 'Post alerts',
      version: 1,
      trigger: { type: 'customEvent', event: 'Alert Raised', schema: { text: 'String' } },
      blocks: [{ id: 'post', connector: 'slack', action: 'postMessage', input: { channel: '{{config.alertChannel}}', text: '{{event.text}}' } }],
      fields: [{ name: 'alertChannel', label: 'Alert channel', type: 'select', required: true, optionsSource: { connector: 'slack', source: 'channels' } }],
    },
  ],
};

/** A required text field, a secret and a select. */
export const vault = vaultIntegration;

/** A required checkbox: ticking it is optional, answering it is not. */
export const consent = {
  id: 'consent',
  app: 'Consent',
  connector: 'streamData',
  icon: '/icons/stream-data.svg',
  workflows: [
    {
      id: 'consent-forward',
      name: 'Forward consents',
      version: 1,
      trigger: { type: 'customEvent', event: 'Consent Given', schema: { id: 'String' } },
      blocks: post,
      fields: [{ name: 'archive', label: 'Archive a copy', type: 'boolean', required: true }],
    },
  ],
};

/** Two workflows sharing a field (asked once), one with a field of its own. */
export const pair = {
  id: 'pair',
  app: 'Pair',
  connector: 'streamData',
  icon: '/icons/stream-data.svg',
  workflows: [
    {
      id: 'pair-orders',
      name: 'Forward orders',
      version: 1,
      trigger: { type: 'customEvent', event: 'Order Placed', schema: { orderId: 'String' } },
      blocks: post,
      fields: [
        { name: 'target', label: 'Target', type: 'text', required: true },
        { name: 'note', label: 'Note', type: 'text', default: 'from the widget' },
      ],
    },
    {
      id: 'pair-refunds',
      name: 'Forward refunds',
      version: 1,
      trigger: { type: 'customEvent', event: 'Refund Issued', schema: { orderId: 'String' } },
      blocks: post,
      fields: [{ name: 'target', label: 'Target', type: 'text', required: true }],
    },
  ],
};

/** BigCommerce: a category of a chosen tree (a dependent select) and a mapping to the customer's fields, custom ones included. */
export const catalog = {
  id: 'catalog',
  app: 'Catalog',
  connector: 'bigcommerce',
  icon: '/icons/bigcommerce.svg',
  workflows: [
    {
      id: 'catalog-sync',
      name: 'Sync customers into a category',
      version: 1,
      trigger: { type: 'customEvent', event: 'Customer Signed Up', schema: { email: 'String' } },
      blocks: [{ id: 'update', connector: 'bigcommerce', action: 'updateOrderStatus', input: { orderId: '1', status: 'Shipped' } }],
      fields: [
        { name: 'treeId', label: 'Category tree', type: 'select', required: true, optionsSource: { connector: 'bigcommerce', source: 'categoryTrees' } },
        { name: 'category', label: 'Category', type: 'select', required: true, optionsSource: { connector: 'bigcommerce', source: 'categories', dependsOn: ['treeId'] } },
        {
          name: 'customer',
          label: 'Customer fields',
          type: 'fieldMapping',
          required: true,
          sourceFields: [
            { name: 'contactEmail', label: 'Contact email', required: true },
            { name: 'firstName', label: 'First name' },
            { name: 'lastName', label: 'Last name' },
            { name: 'tier', label: 'Tier' },
          ],
          optionsSource: { connector: 'bigcommerce', source: 'customerFields' },
        },
      ],
    },
  ],
};

/** A long text, a date and a date-time, each the browser's own control. */
export const schedule = {
  id: 'schedule',
  app: 'Schedule',
  connector: 'streamData',
  icon: '/icons/stream-data.svg',
  workflows: [
    {
      id: 'schedule-forward',
      name: 'Forward on a schedule',
      version: 1,
      trigger: { type: 'customEvent', event: 'Schedule Set', schema: { id: 'String' } },
      blocks: post,
      fields: [
        { name: 'notes', label: 'Notes', type: 'textarea', required: true },
        { name: 'since', label: 'Since', type: 'date', required: true },
        { name: 'startAt', label: 'Start at', type: 'datetime' },
      ],
    },
  ],
};

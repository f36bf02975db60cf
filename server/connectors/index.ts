import type { Connector } from './types';

// Credential forms follow each app's own documented auth: Slack bot tokens (xoxb-…), BigCommerce
// store hash + API account access token (X-Auth-Token), NetSuite token-based authentication.
const connectors: Connector[] = [
  {
    id: 'slack',
    name: 'Slack',
    icon: '/icons/slack.svg',
    auth: [
      {
        type: 'apiKey',
        fields: [
          { name: 'botToken', label: 'Bot token', type: 'secret', required: true, placeholder: 'xoxb-…', description: 'From your Slack app: OAuth & Permissions → Bot User OAuth Token.' },
        ],
      },
      { type: 'oauth2', scopes: ['chat:write', 'channels:read', 'groups:read'] },
    ],
  },
  {
    id: 'bigcommerce',
    name: 'BigCommerce',
    icon: '/icons/bigcommerce.svg',
    auth: [
      {
        type: 'apiKey',
        fields: [
          { name: 'storeHash', label: 'Store hash', type: 'text', required: true, description: 'The part after /stores/ in your API path.' },
          { name: 'accessToken', label: 'Access token', type: 'secret', required: true, description: 'An API account access token with Orders modify scope.' },
        ],
      },
    ],
  },
  {
    id: 'netsuite',
    name: 'NetSuite',
    icon: '/icons/netsuite.svg',
    auth: [
      {
        type: 'apiKey',
        fields: [
          { name: 'accountId', label: 'Account ID', type: 'text', required: true },
          { name: 'consumerKey', label: 'Consumer key', type: 'secret', required: true },
          { name: 'consumerSecret', label: 'Consumer secret', type: 'secret', required: true },
          { name: 'tokenId', label: 'Token ID', type: 'secret', required: true },
          { name: 'tokenSecret', label: 'Token secret', type: 'secret', required: true },
        ],
      },
    ],
  },
  { id: 'streamData', name: 'Stream Data', icon: '/icons/stream-data.svg', auth: [] },
];

const byId = new Map(connectors.map((c) => [c.id.toLowerCase(), c]));

/** Every connector, for `GET /apps`. */
export function listConnectors(): readonly Connector[] {
  return connectors;
}

/** A connector by id, case-insensitively (`Slack`, `slack`). */
export function findConnector(id: string): Connector | undefined {
  return byId.get(id.toLowerCase());
}

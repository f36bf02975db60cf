import { describe, expect, it } from 'vitest';
import { checkConnectors } from '../../../server/connectors/check';
import { buildDefinitions, DefinitionError } from '../../../server/definitions/load';

const categories = (extra: Record<string, unknown> = {}) => ({
  name: 'category',
  label: 'Category',
  type: 'select',
  optionsSource: { connector: 'bigcommerce', source: 'categories', dependsOn: ['treeId'] },
  ...extra,
});
const tree = { name: 'treeId', label: 'Category tree', type: 'select', required: true, optionsSource: { connector: 'bigcommerce', source: 'categoryTrees' } };

/** A BigCommerce integration whose one workflow has `fields`. */
const store = (fields: unknown[]) => ({
  id: 'store',
  app: 'BigCommerce',
  connector: 'bigcommerce',
  icon: '/icons/bigcommerce.svg',
  workflows: [
    {
      id: 'store-sync',
      name: 'Sync products',
      version: 1,
      trigger: { type: 'webhook' },
      blocks: [{ id: 'b1', connector: 'bigcommerce', action: 'updateOrderStatus', input: {} }],
      fields,
    },
  ],
});

function loadError(fields: unknown[]): DefinitionError {
  try {
    buildDefinitions([store(fields)], ['store.json']);
  } catch (err) {
    if (err instanceof DefinitionError) return err;
    throw err;
  }
  throw new Error('expected the definitions to be refused');
}
const startError = (fields: unknown[], overrides: Record<string, unknown> = {}) => {
  const definitions = buildDefinitions([{ ...store(fields), ...overrides }]);
  return (() => {
    try {
      checkConnectors(definitions);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected the start to be refused');
  })();
};

describe('field definitions', () => {
  it('accepts every new type, and a select whose options depend on another field', () => {
    const definitions = buildDefinitions([
      store([
        tree,
        categories(),
        { name: 'notes', label: 'Notes', type: 'textarea' },
        { name: 'since', label: 'Since', type: 'date' },
        { name: 'at', label: 'At', type: 'datetime', required: true },
        {
          name: 'customer',
          label: 'Customer fields',
          type: 'fieldMapping',
          sourceFields: [{ name: 'email', label: 'Email', required: true }],
          optionsSource: { connector: 'bigcommerce', source: 'customerFields' },
        },
      ]),
    ]);
    checkConnectors(definitions);
    const fields = definitions.workflow('store-sync')!.workflow.fields;
    expect(fields.map((f) => f.type)).toEqual(['select', 'select', 'textarea', 'date', 'datetime', 'fieldMapping']);
    expect(fields[5]).toMatchObject({ sourceFields: [{ name: 'email', label: 'Email', required: true }] });
  });

  it('refuses dependsOn naming a field the workflow does not have, with its path', () => {
    const err = loadError([categories({ optionsSource: { connector: 'bigcommerce', source: 'categories', dependsOn: ['tree'] } })]);
    expect(err.file).toBe('store.json');
    expect(err.path).toEqual(['workflows', 0, 'fields', 0, 'optionsSource', 'dependsOn', 0]);
    expect(err.reason).toBe('no field "tree" in this workflow (its fields are category)');
  });

  it('refuses a cycle of dependencies, naming it at the field that closes it', () => {
    const a = { name: 'a', label: 'A', type: 'select', optionsSource: { connector: 'bigcommerce', source: 'categories', dependsOn: ['b'] } };
    const b = { name: 'b', label: 'B', type: 'select', optionsSource: { connector: 'bigcommerce', source: 'categories', dependsOn: ['a'] } };
    const err = loadError([a, b]);
    expect(err.path).toEqual(['workflows', 0, 'fields', 1, 'optionsSource', 'dependsOn', 0]);
    expect(err.reason).toBe('dependsOn makes a cycle: a → b → a');
  });

  it('refuses a field depending on itself, twice on one field, or on a secret', () => {
    const self = loadError([categories({ optionsSource: { connector: 'bigcommerce', source: 'categories', dependsOn: ['category'] } })]);
    expect([self.path, self.reason]).toEqual([['workflows', 0, 'fields', 0, 'optionsSource', 'dependsOn', 0], 'field "category" cannot depend on itself']);
    const twice = loadError([tree, categories({ optionsSource: { connector: 'bigcommerce', source: 'categories', dependsOn: ['treeId', 'treeId'] } })]);
    expect([twice.path, twice.reason]).toEqual([['workflows', 0, 'fields', 1, 'optionsSource', 'dependsOn', 1], '"treeId" is listed twice']);
    const secret = loadError([{ name: 'treeId', label: 'Tree', type: 'secret' }, categories()]);
    expect(secret.reason).toBe('"treeId" is a secret field, whose value cannot be sent to load options');
  });

  it('names the field types it knows when a type is unknown', () => {
    const err = loadError([{ name: 'f', label: 'F', type: 'color' }]);
    expect(err.path).toEqual(['workflows', 0, 'fields', 0, 'type']);
    expect(err.reason).toBe('expected field type "text", "secret", "number", "boolean", "select", "multiselect", "textarea", "date", "datetime", "fieldMapping"');
  });

  it('asks a fieldMapping for its source fields, once each, and its options; takes sourceFields on no other type', () => {
    const mapping = { name: 'm', label: 'M', type: 'fieldMapping', options: [{ label: 'Email', value: 'email', required: true }] };
    expect(loadError([mapping]).message).toBe('store.json: workflows.0.fields.0.sourceFields: required');
    const twice = loadError([
      {
        ...mapping,
        sourceFields: [
          { name: 'a', label: 'A' },
          { name: 'a', label: 'A again' },
        ],
      },
    ]);
    expect([twice.path, twice.reason]).toEqual([['workflows', 0, 'fields', 0, 'sourceFields', 1, 'name'], 'duplicate name "a"']);
    const bare = loadError([{ ...mapping, options: undefined, sourceFields: [{ name: 'a', label: 'A' }] }]);
    expect(bare.reason).toBe('a fieldMapping field needs exactly one of "options" or "optionsSource"');
    expect(loadError([{ name: 'f', label: 'F', type: 'text', sourceFields: [] }]).reason).toBe('Unrecognized key: "sourceFields"');
    expect(loadError([{ name: 'd', label: 'D', type: 'date', options: [{ label: 'A', value: 'a' }] }]).reason).toBe('a date field takes no "options"');
  });
});

describe('option sources at start', () => {
  it('refuses a dependent source whose parameter no field gives', () => {
    expect(startError([{ ...categories(), optionsSource: { connector: 'bigcommerce', source: 'categories' } }])).toBe(
      'Integration "store", workflow "store-sync", field "category": option source "categories" of BigCommerce needs the value of "treeId": list a field of that name in dependsOn',
    );
  });

  it('refuses dependsOn on a source that takes no such parameter', () => {
    const trees = { ...tree, name: 'trees', optionsSource: { connector: 'bigcommerce', source: 'categoryTrees', dependsOn: ['treeId'] } };
    expect(startError([{ ...tree, optionsSource: undefined, options: [{ label: 'Main', value: '1' }] }, trees])).toBe(
      'Integration "store", workflow "store-sync", field "trees": option source "categoryTrees" of BigCommerce takes no "treeId" (it takes no parameters)',
    );
  });

  it('refuses options from another app than the integration’s: they are loaded with its account', () => {
    const channel = { name: 'channel', label: 'Channel', type: 'select', optionsSource: { connector: 'slack', source: 'channels' } };
    expect(startError([channel])).toBe(
      'Integration "store", workflow "store-sync", field "channel": options come from Slack, but the installation\'s account is BigCommerce\'s (connector "bigcommerce")',
    );
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileEventSchema, eventSchemaToJsonSchema } from '../../server/definitions/event-schema.js';
import { buildDefinitions, DefinitionError, loadDefinitions } from '../../server/definitions/load.js';

function workflow(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: `Workflow ${id}`,
    version: 1,
    trigger: { type: 'webhook' },
    blocks: [{ id: 'b1', connector: 'slack', action: 'postMessage' }],
    ...overrides,
  };
}

function integration(id: string, workflows: unknown[] = [workflow(`${id}-wf`)]) {
  return { id, app: id.toUpperCase(), connector: id, icon: `/icons/${id}.svg`, workflows };
}

function eventWorkflow(id: string, event: string, schema: unknown, browser?: boolean) {
  return workflow(id, { trigger: { type: 'customEvent', event, schema, ...(browser === undefined ? {} : { browser }) } });
}

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'definitions-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function errorOf(fn: () => unknown): DefinitionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DefinitionError) return err;
    throw err;
  }
  throw new Error('expected a DefinitionError');
}

function issuesOf(schema: unknown, data: unknown) {
  const result = compileEventSchema(schema).safeParse(data);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path, message: i.message }));
}

describe('shipped examples', () => {
  const definitions = loadDefinitions(fileURLToPath(new URL('../../demo/integrations', import.meta.url)));

  it('loads the six demo integrations and their eight workflows', () => {
    expect(definitions.integrations.map((i) => i.id)).toEqual(['bigcommerce', 'hubspot', 'jira', 'netsuite', 'slack', 'stream-heartbeat']);
    expect(definitions.integrations.flatMap((i) => i.workflows.map((w) => w.id)).sort()).toEqual([
      'bigcommerce-fulfillment-updated',
      'bigcommerce-order-created',
      'hourly-heartbeat',
      'hubspot-ticket-deal',
      'jira-ticket-issue',
      'netsuite-create-invoice',
      'order-lines',
      'slack-ticket-created',
    ]);
  });

  it('indexes the demo custom events by name, with the browser flag only where opted in', () => {
    expect([...definitions.events.keys()].sort()).toEqual(['Fulfillment Updated', 'Order Created', 'Ticket Created', 'create_invoice']);
    expect(definitions.events.get('Ticket Created')).toMatchObject({ browser: true, workflowIds: ['hubspot-ticket-deal', 'jira-ticket-issue', 'slack-ticket-created'] });
    expect(definitions.events.get('create_invoice')?.browser).toBe(false);
  });

  it('finds a workflow with its integration, and fills defaults', () => {
    const found = definitions.workflow('bigcommerce-fulfillment-updated');
    expect(found?.integration.id).toBe('bigcommerce');
    expect(found?.workflow.fields[0]).toMatchObject({ name: 'staffNote', type: 'text', required: false });
    expect(definitions.integration('slack')?.app).toBe('Slack');
    expect(definitions.workflow('nope')).toBeUndefined();
  });
});

describe('compiled event schemas', () => {
  const order = {
    customer: { email: 'String', name: 'String?' },
    items: [{ sku: 'String', qty: 'number' }],
    tags: ['String'],
    placedAt: 'Date',
    paid: 'Boolean',
    meta: 'Object?',
  };
  const valid = {
    customer: { email: 'a@b.c' },
    items: [{ sku: 'X1', qty: 2 }],
    tags: ['new'],
    placedAt: '2024-05-01T10:00:00Z',
    paid: true,
  };

  it('accepts nested objects, arrays of objects, optional fields and case-insensitive type names', () => {
    expect(issuesOf(order, valid)).toEqual([]);
    expect(issuesOf(order, { ...valid, customer: { email: 'a@b.c', name: null }, meta: { any: 1 } })).toEqual([]);
  });

  it('accepts an ISO date or date-time for Date and rejects other strings', () => {
    expect(issuesOf({ at: 'Date' }, { at: '2024-05-01' })).toEqual([]);
    expect(issuesOf({ at: 'Date' }, { at: '2024-05-01T10:00:00+02:00' })).toEqual([]);
    expect(issuesOf({ at: 'Date' }, { at: 'yesterday' })).toEqual([{ path: ['at'], message: 'expected an ISO-8601 date or date-time string, received string' }]);
  });

  it('reports a wrong type at its nested path', () => {
    expect(issuesOf(order, { ...valid, items: [{ sku: 'X1', qty: '2' }] })).toEqual([{ path: ['items', 0, 'qty'], message: 'expected number, received string' }]);
    expect(issuesOf(order, { ...valid, customer: { email: 5 } })).toEqual([{ path: ['customer', 'email'], message: 'expected string, received number' }]);
  });

  it('reports a missing field as required', () => {
    const { paid: _paid, ...withoutPaid } = valid;
    expect(issuesOf(order, withoutPaid)).toEqual([{ path: ['paid'], message: 'required' }]);
    expect(issuesOf({ anything: 'Any' }, {})).toEqual([{ path: ['anything'], message: 'required' }]);
  });

  it('rejects null for a required field but accepts it for an optional one', () => {
    expect(issuesOf({ a: 'String', b: 'String?' }, { a: null, b: null })).toEqual([{ path: ['a'], message: 'expected string, received null' }]);
    expect(issuesOf({ a: 'Any' }, { a: null })).toEqual([{ path: ['a'], message: 'expected a value, received null' }]);
  });

  it('keeps keys the schema does not list, at every level', () => {
    const data = { ...valid, extra: 1, customer: { email: 'a@b.c', vip: true } };
    expect(compileEventSchema(order).parse(data)).toMatchObject({ extra: 1, customer: { vip: true } });
  });

  it('rejects a bad schema with the path of the bad type', () => {
    const err = errorOf(() => compileEventSchema({ a: { b: ['Strng'] } }, ['trigger', 'schema']));
    expect(err.path).toEqual(['trigger', 'schema', 'a', 'b', 0]);
    expect(err.message).toContain('unknown type "Strng" (expected String, Number, Boolean, Date, Object, Any');
    expect(errorOf(() => compileEventSchema({ a: [] })).message).toMatch(/^a: an array type holds exactly one/);
    expect(errorOf(() => compileEventSchema({ a: ['String', 'Number'] })).path).toEqual(['a']);
    expect(errorOf(() => compileEventSchema({ a: 5 })).message).toBe(
      'a: unknown type 5 (expected String, Number, Boolean, Date, Object, Any, a nested object or a one-element array)',
    );
    expect(errorOf(() => compileEventSchema(['String'])).message).toMatch(/expected an object mapping field names/);
  });

  it('converts to JSON Schema 2020-12 listing the non-optional fields as required', () => {
    const json = eventSchemaToJsonSchema(order) as { $schema: string; required: string[]; properties: Record<string, any> };
    expect(json.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(json.required.sort()).toEqual(['customer', 'items', 'paid', 'placedAt', 'tags']);
    expect(json.properties.customer.required).toEqual(['email']);
    expect(json.properties.items).toMatchObject({ type: 'array', items: { type: 'object', required: ['sku', 'qty'] } });
  });
});

describe('definition files', () => {
  it('rejects a field type it does not know, naming the file and the path', () => {
    const bad = integration('slack', [eventWorkflow('wf', 'Ticket Created', { ticketName: 'Strng' })]);
    const dir = dirWith({ 'slack.json': JSON.stringify(bad) });
    const err = errorOf(() => loadDefinitions(dir));
    expect(err.file).toBe(join(dir, 'slack.json'));
    expect(err.path).toEqual(['workflows', 0, 'trigger', 'schema', 'ticketName']);
    expect(err.message).toBe(
      `${join(dir, 'slack.json')}: workflows.0.trigger.schema.ticketName: unknown type "Strng" ` +
        '(expected String, Number, Boolean, Date, Object, Any, a nested object or a one-element array)',
    );
  });

  it('rejects invalid JSON with the parser message', () => {
    const dir = dirWith({ 'a.json': '{ "id": ' });
    expect(errorOf(() => loadDefinitions(dir)).message).toMatch(/a\.json: invalid JSON: .+/);
  });

  it('rejects an unknown key such as a misspelt "version"', () => {
    const wf = { ...workflow('wf'), verison: 2 };
    const err = errorOf(() => buildDefinitions([integration('x', [wf])], ['x.json']));
    expect(err.message).toContain('x.json: workflows.0: Unrecognized key: "verison"');
  });

  it("rejects a version the stores cannot hold (PostgreSQL's INTEGER is 32-bit), naming the path", () => {
    const err = errorOf(() => buildDefinitions([integration('x', [workflow('wf', { version: 2 ** 31 })])], ['x.json']));
    expect(err.message).toContain('x.json: workflows.0.version: must be at most 2147483647');
    expect(() => buildDefinitions([integration('x', [workflow('wf', { version: 2 ** 31 - 1 })])], ['x.json'])).not.toThrow();
  });

  it('lists every schema issue, each with its path', () => {
    const err = errorOf(() => buildDefinitions([{ id: 'bad id', app: 'X', icon: 'x.svg', workflows: [] }]));
    expect(err.message).toContain('id: expected 1 to 64 letters');
    expect(err.message).toContain('; connector: required');
    expect(err.message).toContain('; icon: expected an absolute path');
    expect(err.message).toContain('; workflows: an integration needs at least one workflow');
  });

  it('reserves the block id "trigger" for the trigger\'s own step, naming the file and the path', () => {
    const wf = workflow('wf');
    const blocks = (wf.blocks as Array<Record<string, unknown>>).map((b, i) => (i === 0 ? { ...b, id: 'trigger' } : b));
    const err = errorOf(() => buildDefinitions([integration('x', [{ ...wf, blocks }])], ['x.json']));
    expect(err.message).toContain('x.json: workflows.0.blocks.0.id: "trigger" is reserved');
  });

  it('rejects an unknown trigger type and a workflow without blocks', () => {
    expect(errorOf(() => buildDefinitions([integration('x', [workflow('w', { trigger: { type: 'cron' } })])])).message).toContain(
      'workflows.0.trigger.type: expected trigger type "customEvent", "webhook", "app", "schedule" or "poll"',
    );
    expect(errorOf(() => buildDefinitions([integration('x', [workflow('w', { blocks: [] })])])).path).toEqual(['workflows', 0, 'blocks']);
  });

  it('requires options or optionsSource on select fields only, not both', () => {
    const withField = (field: Record<string, unknown>) => buildDefinitions([integration('x', [workflow('w', { fields: [{ name: 'f', label: 'F', ...field }] })])]);
    expect(errorOf(() => withField({ type: 'select' })).path).toEqual(['workflows', 0, 'fields', 0, 'options']);
    const both = { type: 'multiselect', options: [{ label: 'A', value: 'a' }], optionsSource: { connector: 'x', source: 's' } };
    expect(errorOf(() => withField(both)).message).toContain('needs exactly one of "options" or "optionsSource"');
    expect(errorOf(() => withField({ type: 'text', options: [{ label: 'A', value: 'a' }] })).message).toContain('a text field takes no "options"');
    expect(withField({ type: 'secret' }).workflow('w')?.workflow.fields[0]?.required).toBe(false);
  });

  it('rejects duplicate block ids and field names inside a workflow', () => {
    const blocks = [
      { id: 'b', connector: 'c', action: 'a' },
      { id: 'b', connector: 'c', action: 'a' },
    ];
    const fields = [
      { name: 'f', label: 'F', type: 'text' },
      { name: 'f', label: 'F', type: 'text' },
    ];
    const err = errorOf(() => buildDefinitions([integration('x', [workflow('w', { blocks, fields })])]));
    expect(err.path).toEqual(['workflows', 0, 'blocks', 1, 'id']);
    expect(err.message).toContain('duplicate id "b"; workflows.0.fields.1.name: duplicate name "f"');
  });

  it('rejects an integration id or a workflow id used by two files', () => {
    const dir = dirWith({ 'a.json': JSON.stringify(integration('x')), 'b.json': JSON.stringify(integration('x')) });
    expect(errorOf(() => loadDefinitions(dir)).message).toBe(`${join(dir, 'b.json')}: id: duplicate integration id "x" (also in ${join(dir, 'a.json')})`);
    const err = errorOf(() => buildDefinitions([integration('x', [workflow('w')]), integration('y', [workflow('w')])], ['x.json', 'y.json']));
    expect(err.message).toBe('y.json: workflows.0.id: duplicate workflow id "w" (also in x.json)');
  });

  it('lets two workflows share a custom event with the same schema and lists both', () => {
    const definitions = buildDefinitions([
      integration('x', [eventWorkflow('w1', 'Order Paid', { id: 'String', total: 'Number' })]),
      integration('y', [eventWorkflow('w2', 'Order Paid', { total: 'Number', id: 'String' })]),
    ]);
    expect(definitions.events.get('Order Paid')?.workflowIds).toEqual(['w1', 'w2']);
  });

  it('rejects a custom event declared with a different schema or browser flag', () => {
    const schema = { id: 'String' };
    const first = integration('x', [eventWorkflow('w1', 'Order Paid', schema)]);
    const otherSchema = integration('y', [eventWorkflow('w2', 'Order Paid', { id: 'Number' })]);
    const err = errorOf(() => buildDefinitions([first, otherSchema], ['x.json', 'y.json']));
    expect(err.message).toBe('y.json: workflows.0.trigger.schema: event "Order Paid" is declared by workflow "w1" (in x.json) with a different schema');
    const otherBrowser = integration('y', [eventWorkflow('w2', 'Order Paid', schema, true)]);
    expect(errorOf(() => buildDefinitions([first, otherBrowser])).path).toEqual(['workflows', 0, 'trigger', 'browser']);
  });

  it('rejects a directory that does not exist or holds no .json file', () => {
    const missing = join(tmpdir(), 'no-such-definitions-dir-' + Date.now());
    expect(errorOf(() => loadDefinitions(missing)).message).toBe(`${missing}: directory does not exist`);
    const empty = dirWith({ 'readme.txt': 'hi', '.hidden.json': '{}' });
    expect(errorOf(() => loadDefinitions(empty)).message).toBe(`${empty}: no .json definition files in directory`);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage } from '../../demo/fakes/slack';
import { checkConnectors } from '../../server/connectors/check';
import { buildDefinitions, DefinitionError } from '../../server/definitions/load';
import { addCredential, installHeadless } from '../helpers/flows';
import { createUser, startTestServer, storeKind, type TestServer, waitForExecution } from '../helpers/server';

const post = (id: string, text: string) => ({ id, connector: 'slack', action: 'postMessage', input: { channel: '{{config.channel}}', text } });
const lineItems = [{ sku: 'String', name: 'String', quantity: 'Number' }];

/** A Slack integration with one workflow per block kind, each on an event of its own. */
const shop = (workflows: unknown[]) => ({
  id: 'shop',
  app: 'Slack',
  connector: 'slack',
  icon: '/icons/slack.svg',
  workflows: workflows.map((w: any) => ({ version: 1, fields: [{ name: 'channel', label: 'Channel', type: 'text', required: true }], ...w })),
});

const workflows = [
  {
    id: 'shipped-only',
    name: 'Tell the channel about shipped orders',
    trigger: { type: 'customEvent', event: 'Order Updated', schema: { orderId: 'String', status: 'String' } },
    blocks: [{ id: 'is-shipped', type: 'filter', condition: { eq: ['{{event.status}}', 'shipped'] } }, post('tell', 'Order {{event.orderId}} shipped')],
  },
  {
    id: 'by-country',
    name: 'Route orders by country',
    trigger: { type: 'customEvent', event: 'Order Routed', schema: { orderId: 'String', country: 'String' } },
    blocks: [
      {
        id: 'route',
        type: 'branch',
        paths: [
          { name: 'domestic', when: { eq: ['{{event.country}}', 'US'] }, do: [post('post-domestic', 'Domestic order {{event.orderId}}')] },
          { name: 'nearby', when: { in: ['{{event.country}}', ['CA', 'MX']] }, do: [post('post-nearby', 'Nearby order {{event.orderId}}')] },
        ],
        default: [post('post-abroad', 'Order {{event.orderId}} ships abroad')],
      },
      post('after', 'Routed {{event.orderId}}: {{steps.route.output.path}}'),
    ],
  },
  {
    id: 'per-line',
    name: 'One message per line item',
    trigger: { type: 'customEvent', event: 'Order Placed', schema: { orderId: 'String', lineItems } },
    blocks: [
      { id: 'summary', type: 'transform', output: { order: '{{event.orderId}}', first: '{{event.lineItems[0].sku}}', who: '{{user.username}}' } },
      {
        id: 'lines',
        type: 'forEach',
        items: '{{event.lineItems}}',
        maxItems: 5,
        do: [post('post-item', '{{steps.summary.output.order}} #{{index}}: {{item.quantity}} × {{item.name}}')],
      },
      { id: 'count', type: 'transform', output: { posted: '{{steps.lines.output}}' } },
    ],
  },
  {
    id: 'big-lines',
    name: 'Only the lines of more than one',
    trigger: { type: 'customEvent', event: 'Order Checked', schema: { orderId: 'String', lineItems } },
    blocks: [
      {
        id: 'gate',
        type: 'branch',
        paths: [{ name: 'blocked', when: { eq: ['{{event.orderId}}', 'BLOCKED'] }, do: [{ id: 'stop', type: 'filter', condition: { eq: ['{{event.orderId}}', 'never'] } }] }],
      },
      {
        id: 'each-line',
        type: 'forEach',
        items: '{{event.lineItems}}',
        do: [{ id: 'several', type: 'filter', condition: { gt: ['{{item.quantity}}', 1] } }, post('post-line', '{{item.quantity}} × {{item.name}}')],
      },
    ],
  },
];

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ sku: `SKU-${i + 1}`, name: `Item ${i + 1}`, quantity: i + 1 }));

describe(`logic blocks through the engine (${storeKind})`, () => {
  let server: TestServer;
  let slack: FakeSlack;
  let userId: string;
  /** Hears each message the fake Slack takes, before it answers. */
  let onMessage: ((message: FakeSlackMessage) => void) | undefined;

  beforeEach(async () => {
    onMessage = undefined;
    slack = await startFakeSlack({ onMessage: (message) => onMessage?.(message) });
    slack.channels = [{ id: 'C1', name: 'orders' }];
    server = await startTestServer({
      env: { WORKERS: 'on', RETRY_SCHEDULE: '30', SLACK_API_URL: slack.url },
      definitions: () => buildDefinitions([shop(workflows)]),
    });
    userId = await createUser(server, 'ann');
    const credentialId = await addCredential(server, userId, 'slack', { botToken: 'xoxb-test' });
    await installHeadless(server, userId, 'shop', { credentialId, data: { channel: 'C1' } });
  });
  afterEach(async () => {
    await server.close();
    await slack.close();
  });

  const run = async (event: string, data: Record<string, unknown>) => {
    const res = await server.request('POST', '/run/event', { body: { event, userId, data } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.executionIds).toHaveLength(1);
    return res.body.executionIds[0] as string;
  };
  const texts = () => slack.messages.map((m) => m.text);

  it('ends a run whose filter is false as skipped, with the reason logged and no Slack call', async () => {
    const skipped = await run('Order Updated', { orderId: 'A-1', status: 'pending' });
    const execution = await waitForExecution(server, userId, 'shipped-only', skipped, 'skipped');
    expect(execution.error).toBeNull();
    expect(execution.steps.map((s: any) => [s.blockId, s.output])).toEqual([
      ['is-shipped', { passed: false, reason: 'Filter "is-shipped": the condition is false: eq({{event.status}} = "pending", "shipped") is false' }],
    ]);
    // The account-wide log names it too.
    const logs = await server.request('GET', '/logs?workflowId=shipped-only');
    expect(logs.body.notifications.map((n: any) => n.message)).toEqual(['executionSkipped']);

    // A later run that passes posts: the skipped one posted nothing before it.
    const passed = await run('Order Updated', { orderId: 'A-2', status: 'shipped' });
    const done = await waitForExecution(server, userId, 'shipped-only', passed, 'succeeded');
    expect(done.steps.map((s: any) => s.blockId).sort()).toEqual(['is-shipped', 'tell']);
    expect(done.steps.find((s: any) => s.blockId === 'is-shipped').output).toEqual({ passed: true, reason: 'eq({{event.status}} = "shipped", "shipped") is true' });
    expect(texts()).toEqual(['Order A-2 shipped']);
  });

  it('takes the first branch path whose condition holds, else the default, and says which', async () => {
    const us = await run('Order Routed', { orderId: 'R-1', country: 'US' });
    await waitForExecution(server, userId, 'by-country', us, 'succeeded');
    const ca = await run('Order Routed', { orderId: 'R-2', country: 'CA' });
    await waitForExecution(server, userId, 'by-country', ca, 'succeeded');
    const fr = await run('Order Routed', { orderId: 'R-3', country: 'FR' });
    const abroad = await waitForExecution(server, userId, 'by-country', fr, 'succeeded');

    expect(texts()).toEqual(['Domestic order R-1', 'Routed R-1: domestic', 'Nearby order R-2', 'Routed R-2: nearby', 'Order R-3 ships abroad', 'Routed R-3: default']);
    // Steps are listed by when they started: a branch and its first block may start in the same millisecond.
    expect(abroad.steps.map((s: any) => s.blockId).sort()).toEqual(['after', 'post-abroad', 'route']);
    expect(abroad.steps.find((s: any) => s.blockId === 'route').output).toEqual({
      path: 'default',
      reason: `no path's condition holds (domestic: eq({{event.country}} = "FR", "US") is false; nearby: in({{event.country}} = "FR", ["CA","MX"]) is false)`,
    });
  });

  it('posts one Slack message per line item, in order, and collects the outputs as a list', async () => {
    const executionId = await run('Order Placed', { orderId: 'O-7', lineItems: items(3) });
    const execution = await waitForExecution(server, userId, 'per-line', executionId, 'succeeded');
    expect(texts()).toEqual(['O-7 #0: 1 × Item 1', 'O-7 #1: 2 × Item 2', 'O-7 #2: 3 × Item 3']);
    // Steps are listed by when they started: a forEach and its first item may start in the same millisecond.
    expect(execution.steps.map((s: any) => s.blockId).sort()).toEqual(['count', 'lines', 'lines[0].post-item', 'lines[1].post-item', 'lines[2].post-item', 'summary']);
    expect(execution.steps[0].output).toEqual({ order: 'O-7', first: 'SKU-1', who: 'ann' });
    const posted = execution.steps.find((s: any) => s.blockId === 'lines').output;
    expect(posted).toHaveLength(3);
    expect(posted.every((o: any) => o.channel === 'C1' && typeof o.ts === 'string')).toBe(true);
    expect(execution.steps.find((s: any) => s.blockId === 'count').output).toEqual({ posted });
  });

  it('retries after a failure on item 3 without posting items 1 and 2 again', async () => {
    // Slack fails the third message once (a transient error): the execution is retried.
    onMessage = () => {
      if (slack.messages.length === 2) slack.failNext('internal_error', { method: 'chat.postMessage' });
    };
    const executionId = await run('Order Placed', { orderId: 'O-8', lineItems: items(4) });
    const execution = await waitForExecution(server, userId, 'per-line', executionId, 'succeeded');
    expect(execution.attempts).toBe(2);
    expect(texts()).toEqual(['O-8 #0: 1 × Item 1', 'O-8 #1: 2 × Item 2', 'O-8 #2: 3 × Item 3', 'O-8 #3: 4 × Item 4']);
    expect(slack.requests.filter((r) => r.path === '/api/chat.postMessage')).toHaveLength(5);
    const failed = execution.steps.filter((s: any) => s.error !== null);
    expect(failed.map((s: any) => [s.blockId, s.attempt])).toEqual([['lines[2].post-item', 1]]);
    expect(failed[0].error).toContain('internal_error');
    const ran = execution.steps.filter((s: any) => !s.reused && s.error === null && s.blockId.startsWith('lines['));
    expect(ran.map((s: any) => [s.blockId, s.attempt]).sort()).toEqual([
      ['lines[0].post-item', 1],
      ['lines[1].post-item', 1],
      ['lines[2].post-item', 2],
      ['lines[3].post-item', 2],
    ]);
  });

  it('skips only the item a filter in a forEach stops; a filter in a branch path stops the run', async () => {
    const checked = await run('Order Checked', { orderId: 'C-1', lineItems: items(3).map((item, i) => ({ ...item, quantity: [2, 1, 3][i]! })) });
    const execution = await waitForExecution(server, userId, 'big-lines', checked, 'succeeded');
    expect(texts()).toEqual(['2 × Item 1', '3 × Item 3']);
    const outputs = execution.steps.find((s: any) => s.blockId === 'each-line').output;
    expect(outputs.map((o: any) => o?.channel ?? null)).toEqual(['C1', null, 'C1']);
    expect(execution.steps.find((s: any) => s.blockId === 'each-line[1].several').output.passed).toBe(false);

    const blocked = await run('Order Checked', { orderId: 'BLOCKED', lineItems: items(1) });
    const stopped = await waitForExecution(server, userId, 'big-lines', blocked, 'skipped');
    expect(stopped.steps.map((s: any) => s.blockId)).toEqual(['stop']);
    expect(stopped.steps[0].output.reason).toBe('Filter "stop": the condition is false: eq({{event.orderId}} = "BLOCKED", "never") is false');
    expect(texts()).toHaveLength(2);
  });

  it('fails a forEach over maxItems at once, without a retry or a message, saying so', async () => {
    const executionId = await run('Order Placed', { orderId: 'O-9', lineItems: items(6) });
    const execution = await waitForExecution(server, userId, 'per-line', executionId, 'failed');
    expect(execution.attempts).toBe(1);
    expect(execution.error).toBe('Block "lines": {{event.lineItems}} has 6 items, more than maxItems (5); none was run');
    expect(slack.messages).toEqual([]);
    const errors = await server.request('GET', `/workflows/per-line/errors?userId=${userId}`);
    expect(errors.body.data.map((e: any) => e.block)).toEqual(['lines']);
  });

  it('lists logic and nested blocks in the workflow view, each with its type', async () => {
    const res = await server.request('GET', `/workflows/per-line?userId=${userId}`);
    expect(res.body.data.blocks.map((b: any) => [b.id, b.type, b.name])).toEqual([
      ['trigger', 'customEvent', 'Custom Event'],
      ['summary', 'transform', 'Transform'],
      ['lines', 'forEach', 'For each'],
      ['post-item', 'slack', 'Slack'],
      ['count', 'transform', 'Transform'],
    ]);
    expect(res.body.data.blocks[2].icon).toMatch(/\/icons\/for-each\.svg$/);
  });
});

describe('block definitions', () => {
  const workflow = (blocks: unknown[]) => shop([{ id: 'w', name: 'W', trigger: { type: 'webhook' }, blocks }]);
  const refusal = (blocks: unknown[]) => {
    try {
      buildDefinitions([workflow(blocks)], ['shop.json']);
    } catch (err) {
      if (err instanceof DefinitionError) return { file: err.file, path: err.path?.join('.'), reason: err.reason.split('; ')[0] };
      throw err;
    }
    throw new Error('expected the definitions to be refused');
  };
  const each = (doBlocks: unknown[], extra: Record<string, unknown> = {}) => ({ id: 'each', type: 'forEach', items: '{{event.items}}', do: doBlocks, ...extra });

  it('parses an action as before, with no type added, and fills maxItems', () => {
    const definitions = buildDefinitions([workflow([post('a', 'hi'), each([post('b', '{{item}}')])])]);
    const [action, loop] = definitions.workflow('w')!.workflow.blocks;
    expect(action).toEqual({ id: 'a', connector: 'slack', action: 'postMessage', input: { channel: '{{config.channel}}', text: 'hi' } });
    expect(Object.keys(action!)).not.toContain('type');
    expect(loop).toMatchObject({ type: 'forEach', maxItems: 100 });
  });

  it('refuses an unknown block type, naming the kinds there are', () => {
    expect(refusal([{ id: 'x', type: 'http', url: 'https://example.com' }])).toEqual({
      file: 'shop.json',
      path: 'workflows.0.blocks.0.type',
      reason: 'expected a connector action ({ connector, action }) or a block type "filter", "branch", "forEach" or "transform"',
    });
  });

  it('refuses a bad condition at its place inside the block', () => {
    expect(refusal([{ id: 'f', type: 'filter', condition: { all: [{ eq: ['{{event.a}}', 1] }, { gte: ['{{event.a}}', 1] }] } }])).toEqual({
      file: 'shop.json',
      path: 'workflows.0.blocks.0.condition.all.1',
      reason: 'unknown operator "gte" (a condition is an object with one key: eq, ne, gt, lt, contains, in, exists, all, any or not)',
    });
    expect(refusal([{ id: 'b', type: 'branch', paths: [{ name: 'p', when: { exists: 'event.a' }, do: [post('p1', 'x')] }] }])).toEqual({
      file: 'shop.json',
      path: 'workflows.0.blocks.0.paths.0.when.exists',
      reason: 'expected one template path, such as "{{event.coupon}}"',
    });
  });

  it('refuses a block id used twice anywhere in the workflow, nested blocks included', () => {
    expect(refusal([post('a', 'x'), { id: 'b', type: 'branch', paths: [{ name: 'p', when: { exists: '{{event.a}}' }, do: [each([post('a', 'y')])] }] }])).toEqual({
      file: 'shop.json',
      path: 'workflows.0.blocks.1.paths.0.do.0.do.0.id',
      reason: 'duplicate id "a" (also at blocks.0)',
    });
  });

  it('refuses maxItems over 1000, nesting deeper than 3, and item outside a forEach', () => {
    expect(refusal([each([post('p', 'x')], { maxItems: 5000 })])).toEqual({ file: 'shop.json', path: 'workflows.0.blocks.0.maxItems', reason: 'must be at most 1000' });
    const deep = each([{ ...each([{ ...each([post('p', 'x')]), id: 'three' }]), id: 'two' }]);
    expect(refusal([deep])).toEqual({
      file: 'shop.json',
      path: 'workflows.0.blocks.0.do.0.do.0',
      reason: 'blocks nest at most 3 levels deep: a forEach here cannot hold blocks',
    });
    expect(refusal([post('p', 'Line {{item.sku}}')])).toEqual({
      file: 'shop.json',
      path: 'workflows.0.blocks.0',
      reason: '"{{item.sku}}": item is only in scope in the blocks of a forEach',
    });
  });

  it('refuses at start a nested action whose connector has no such action, with its path', () => {
    const definitions = buildDefinitions([workflow([each([post('ok', 'x'), { id: 'typo', connector: 'slack', action: 'postMesage' }])])]);
    const err = (() => {
      try {
        checkConnectors(definitions);
      } catch (e) {
        return e as DefinitionError;
      }
    })();
    expect(err).toBeInstanceOf(DefinitionError);
    expect(err!.path).toEqual(['workflows', 0, 'blocks', 0, 'do', 1, 'action']);
    expect(err!.message).toBe('integration "shop": workflows.0.blocks.0.do.1.action: block "typo" of workflow "w": Slack has no action "postMesage" (it has: postMessage, http)');
  });
});

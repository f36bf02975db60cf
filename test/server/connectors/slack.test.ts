import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { slack } from '../../../server/connectors/slack';
import { NonRetriableError, RetryAfterError } from '../../../server/engine/errors';
import { startFakeSlack, type FakeSlack } from '../../../demo/fakes/slack';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';

let fake: FakeSlack;
const http = connectorHttp();
const context = (credential: Record<string, string> | undefined = { botToken: 'xoxb-111-222-abc' }) => connectorContext({ http, credential, apiUrls: { slack: fake.url } });

const postMessage = (input: unknown, ctx = context()) => slack.actions.postMessage!.run(input, ctx);

beforeAll(async () => {
  fake = await startFakeSlack();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.messages.length = 0;
  fake.requests.length = 0;
  fake.channels = [
    { id: 'C0GENERAL', name: 'general' },
    { id: 'C0ORDERS', name: 'orders' },
  ];
  fake.acceptToken = (t) => /^xox[bp]-/.test(t);
});

describe('Slack postMessage', () => {
  it('sends the bot token as a Bearer token with the channel and text, and returns the channel and ts', async () => {
    const out = await postMessage({ channel: 'C0ORDERS', text: 'Order 1001 shipped' });

    expect(fake.messages).toEqual([{ channel: 'C0ORDERS', text: 'Order 1001 shipped', token: 'xoxb-111-222-abc' }]);
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/api/chat.postMessage', token: 'xoxb-111-222-abc' });
    expect(out).toEqual({ channel: 'C0ORDERS', ts: expect.stringMatching(/^\d+\.\d{6}$/) });
  });

  it('uses an OAuth access token when the credential has no bot token', async () => {
    await postMessage({ channel: 'general', text: 'hi' }, context({ accessToken: 'xoxp-user-token' }));

    expect(fake.messages).toEqual([{ channel: 'C0GENERAL', text: 'hi', token: 'xoxp-user-token' }]);
  });

  it('refuses without calling Slack when the credential has no token', async () => {
    const err = await thrown(() => postMessage({ channel: 'C0GENERAL', text: 'hi' }, context({})));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/no bot or access token/);
    expect(fake.requests).toHaveLength(0);
  });

  it('fails without retrying on invalid_auth, naming the Slack error', async () => {
    fake.acceptToken = (t) => t === 'xoxb-the-only-good-one';

    const err = await thrown(() => postMessage({ channel: 'C0GENERAL', text: 'hi' }));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe('Slack chat.postMessage: invalid_auth');
    expect(fake.messages).toHaveLength(0);
  });

  it('fails without retrying on channel_not_found, naming the Slack error', async () => {
    const err = await thrown(() => postMessage({ channel: 'C0NOPE', text: 'hi' }));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe('Slack chat.postMessage: channel_not_found');
  });

  it('retries after the Retry-After delay when Slack rate-limits with HTTP 429', async () => {
    fake.failNext('ratelimited');

    const err = await thrown(() => postMessage({ channel: 'C0GENERAL', text: 'hi' }));

    expect(err).toBeInstanceOf(RetryAfterError);
    expect((err as RetryAfterError).retryAfterMs).toBe(1000);
    expect(err.message).toMatch(/HTTP 429/);
    expect(err.message).toMatch(/ratelimited/);
    // The next attempt goes through.
    await expect(postMessage({ channel: 'C0GENERAL', text: 'hi' })).resolves.toMatchObject({ channel: 'C0GENERAL' });
  });

  it('retries on internal_error, naming the Slack error', async () => {
    fake.failNext('internal_error');

    const err = await thrown(() => postMessage({ channel: 'C0GENERAL', text: 'hi' }));

    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toBe('Slack chat.postMessage: internal_error');
    expect(fake.messages).toHaveLength(0);
  });

  it('retries when Slack answers a 5xx', async () => {
    fake.failNext('service_unavailable', { status: 503 });

    const err = await thrown(() => postMessage({ channel: 'C0GENERAL', text: 'hi' }));

    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toMatch(/HTTP 503/);
  });

  it('rejects an input without text through its schema', () => {
    expect(slack.actions.postMessage!.input.safeParse({ channel: 'C0GENERAL' }).success).toBe(false);
    expect(slack.actions.postMessage!.input.safeParse({ channel: 'C0GENERAL', text: 'x' }).success).toBe(true);
  });
});

describe('Slack channels option source', () => {
  it('returns every channel over several pages as { label: "#name", value: id }', async () => {
    fake.channels = Array.from({ length: 450 }, (_, i) => ({ id: `C${String(i).padStart(5, '0')}`, name: `channel-${i}` }));

    const options = await slack.optionSources!.channels!(context());

    expect(options).toHaveLength(450);
    expect(options[0]).toEqual({ label: '#channel-0', value: 'C00000' });
    expect(options[449]).toEqual({ label: '#channel-449', value: 'C00449' });
    expect(new Set(options.map((o) => o.value)).size).toBe(450);
    // Three pages of at most `limit` channels, each after the first sent with the previous cursor.
    const calls = fake.requests.filter((r) => r.path === '/api/conversations.list');
    expect(calls).toHaveLength(3);
    expect(calls.map((c) => c.query.limit)).toEqual(['200', '200', '200']);
    expect(calls[0]!.query.cursor).toBeUndefined();
    expect(calls[1]!.query.cursor).toBeTruthy();
    expect(calls[0]!.query).toMatchObject({ types: 'public_channel,private_channel', exclude_archived: 'true' });
    expect(calls.every((c) => c.token === 'xoxb-111-222-abc')).toBe(true);
  });

  it('returns an empty list for a workspace without channels', async () => {
    fake.channels = [];

    await expect(slack.optionSources!.channels!(context())).resolves.toEqual([]);
  });

  it('fails without retrying when the token is refused', async () => {
    const err = await thrown(() => slack.optionSources!.channels!(context({ botToken: 'not-a-slack-token' })));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe('Slack conversations.list: invalid_auth');
  });
});

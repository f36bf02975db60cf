import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDefinitions } from '../../../server/definitions/load';
import { startCountingSink } from '../../helpers/counting-sink';
import { createUser, startTestServer, storeKind, userToken, waitForExecution, type TestServer } from '../../helpers/server';
import { twoStepIntegration } from '../../helpers/two-step';

/** A step of the logs API, as the test reads it. */
type Step = { blockId: string; attempt: number; error: string | null; reused: boolean; fromAttempt: number | null; output: unknown };

describe(`re-running a failed execution from the failed block or from the start (${storeKind})`, () => {
  let server: TestServer;
  let sink: Awaited<ReturnType<typeof startCountingSink>>;
  let userId: string;

  beforeEach(async () => {
    sink = await startCountingSink();
    // One retry: each run is two attempts before it fails.
    server = await startTestServer({
      env: { WORKERS: 'on', RETRY_SCHEDULE: '10', ALLOY_ALLOW_PRIVATE_URLS: 'true' },
      definitions: () => buildDefinitions([twoStepIntegration(sink.url)]),
    });
    userId = await createUser(server, 'rerunner');
    const install = await server.request('POST', '/me/installations', { token: await userToken(server, userId), body: { integrationId: 'acme', config: {} } });
    expect(install.status).toBe(201);
  });
  afterEach(async () => {
    await server.close();
    await sink.close();
  });

  /** An execution whose second block failed twice (its retry too) while /second answered 500. */
  async function failedExecution(orderId: string): Promise<string> {
    sink.setDown('/second');
    const res = await server.request('POST', '/run/event', { body: { event: 'Order Paid', userId, data: { orderId } } });
    const executionId = res.body.executionIds[0] as string;
    const failed = await waitForExecution(server, userId, 'two-step', executionId, 'failed');
    expect(failed.error).toMatch(/HTTP 500|500/);
    return executionId;
  }

  const stepsOf = (execution: { steps: Step[] }, attempt: number) =>
    execution.steps.filter((s) => s.attempt === attempt).map((s) => ({ blockId: s.blockId, reused: s.reused, fromAttempt: s.fromAttempt, failed: s.error !== null }));

  it('starts at the failed block by default: the first block is not called again and the log marks it reused', async () => {
    const executionId = await failedExecution('A-1');
    // The retry inside the run already reused the first block's output.
    expect(sink.calls('/first')).toBe(1);
    expect(sink.calls('/second')).toBe(2);

    sink.setDown('/second', false);
    const rerun = await server.request('POST', `/workflows/two-step/rerun/${executionId}`);
    expect(rerun.status).toBe(200);
    expect(rerun.body).toEqual({ success: true, executionId, status: 'queued' });
    const done = await waitForExecution(server, userId, 'two-step', executionId, 'succeeded');

    expect(sink.calls('/first')).toBe(1);
    expect(sink.calls('/second')).toBe(3);
    expect(stepsOf(done, 1)).toEqual([
      { blockId: 'first', reused: false, fromAttempt: null, failed: false },
      { blockId: 'second', reused: false, fromAttempt: null, failed: true },
    ]);
    expect(stepsOf(done, 2)).toEqual([
      { blockId: 'first', reused: true, fromAttempt: 1, failed: false },
      { blockId: 'second', reused: false, fromAttempt: null, failed: true },
    ]);
    expect(stepsOf(done, 3)).toEqual([
      { blockId: 'first', reused: true, fromAttempt: 1, failed: false },
      { blockId: 'second', reused: false, fromAttempt: null, failed: false },
    ]);
    // The reused entry carries the output the second block was given.
    const reused = done.steps.find((s: Step) => s.attempt === 3 && s.blockId === 'first');
    expect(reused.output).toMatchObject({ status: 200 });
    expect(done.reruns).toEqual([{ attempt: 3, from: 'failed', replayId: null, requestedAt: expect.any(String) }]);
  });

  it('runs every block again with from=start, in the query or the body', async () => {
    const executionId = await failedExecution('A-2');
    expect(sink.calls('/first')).toBe(1);

    // Still failing: the re-run calls the first block again, and its own retry reuses that new output, not the old one.
    const rerun = await server.request('POST', `/workflows/two-step/rerun/${executionId}?from=start`);
    expect(rerun.status).toBe(200);
    const again = await waitForRerunToFail(executionId, 4);
    expect(sink.calls('/first')).toBe(2);
    expect(stepsOf(again, 3)).toEqual([
      { blockId: 'first', reused: false, fromAttempt: null, failed: false },
      { blockId: 'second', reused: false, fromAttempt: null, failed: true },
    ]);
    expect(stepsOf(again, 4)[0]).toEqual({ blockId: 'first', reused: true, fromAttempt: 3, failed: false });

    sink.setDown('/second', false);
    expect((await server.request('POST', `/workflows/two-step/rerun/${executionId}`, { body: { from: 'start' } })).status).toBe(200);
    const done = await waitForExecution(server, userId, 'two-step', executionId, 'succeeded');
    expect(sink.calls('/first')).toBe(3);
    expect(stepsOf(done, 5)).toEqual([
      { blockId: 'first', reused: false, fromAttempt: null, failed: false },
      { blockId: 'second', reused: false, fromAttempt: null, failed: false },
    ]);
    expect(done.reruns.map((r: { attempt: number; from: string }) => [r.attempt, r.from])).toEqual([
      [3, 'start'],
      [5, 'start'],
    ]);
  });

  it('after a re-run from the start, a re-run from the failed block reuses the newer outputs', async () => {
    const executionId = await failedExecution('A-3');
    await server.request('POST', `/workflows/two-step/rerun/${executionId}?from=start`);
    await waitForRerunToFail(executionId, 4);
    expect(sink.calls('/first')).toBe(2);

    sink.setDown('/second', false);
    await server.request('POST', `/workflows/two-step/rerun/${executionId}?from=failed`);
    const done = await waitForExecution(server, userId, 'two-step', executionId, 'succeeded');
    expect(sink.calls('/first')).toBe(2);
    expect(stepsOf(done, 5)[0]).toEqual({ blockId: 'first', reused: true, fromAttempt: 3, failed: false });
  });

  it('answers 400 naming from for a value it does not know, in the query or the body, or two that differ', async () => {
    const executionId = await failedExecution('A-4');
    for (const [url, body] of [
      [`/workflows/two-step/rerun/${executionId}?from=middle`, undefined],
      [`/workflows/two-step/rerun/${executionId}`, { from: 'middle' }],
      [`/workflows/two-step/rerun/${executionId}?from=start`, { from: 'failed' }],
    ] as const) {
      const res = await server.request('POST', url, { body });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details).toEqual([{ path: 'from', message: expect.any(String) }]);
    }
    expect((await server.request('POST', `/workflows/two-step/rerun/${executionId}?from=middle`)).body.error.details[0].message).toBe('must be "failed" or "start"');
    // None of them queued it.
    expect((await server.request('GET', `/workflows/two-step/logs?userId=${userId}`)).body.data[0]).toMatchObject({ executionId, status: 'failed', reruns: [] });
  });

  it('documents from in the OpenAPI document, for the query and the body', async () => {
    const doc = (await server.request('GET', '/openapi.json')).body;
    const op = doc.paths['/workflows/{workflowId}/rerun/{executionId}'].post;
    expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'from', in: 'query', schema: expect.objectContaining({ enum: ['failed', 'start'] }) }));
    expect(op.requestBody.required).toBe(false);
  });

  /** Waits until the execution failed again after `attempts` attempts in all. */
  async function waitForRerunToFail(executionId: string, attempts: number) {
    for (let i = 0; i < 400; i++) {
      const execution = await waitForExecution(server, userId, 'two-step', executionId, 'failed');
      if (execution.attempts === attempts) return execution;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`execution ${executionId} never failed after ${attempts} attempts`);
  }
});

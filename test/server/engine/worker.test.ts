import { describe, expect, it } from 'vitest';
import type { ExecutorDeps } from '../../../server/engine/executor';
import { Worker } from '../../../server/engine/worker';
import { captureLogs } from '../../helpers/logs';
import { until } from '../../helpers/paced-sink';

// The worker loop alone, over a fake queue: no store, no executions to run.
describe('the worker loop', () => {
  it('claims again at once when woken while a claim was under way, instead of waiting for its poll', async () => {
    const claims: number[] = [];
    let finishFirst!: () => void;
    const store = {
      executions: {
        claim: async () => {
          claims.push(Date.now());
          // The first claim is slow: an event arrives (and wakes the worker) while it runs.
          if (claims.length === 1) await new Promise<void>((resolve) => (finishFirst = resolve));
          return [];
        },
        extendLease: async () => undefined,
        release: async () => 0,
      },
    };
    const worker = new Worker({ store } as unknown as ExecutorDeps, { concurrency: 4, leaseMs: 60_000, pollMs: 60_000 });
    worker.start();
    await until(() => claims.length === 1, 'the first claim');
    worker.wake();
    finishFirst();
    // Without the wake remembered, the second claim would come a minute later (the poll).
    await until(() => claims.length === 2, 'the second claim', 5_000);
    await worker.stop(0);
  });

  it('takes new executions only while it has free slots and no known backlog', async () => {
    const store = {
      executions: {
        claim: async () => [],
        extendLease: async () => undefined,
        release: async () => 0,
      },
    };
    const worker = new Worker({ store } as unknown as ExecutorDeps, { concurrency: 4, leaseMs: 60_000, pollMs: 60_000 });
    // Before its first claim the queue may hold work from before a restart: that goes first.
    expect(worker.reserve(1)).toBe(0);
    worker.start();
    // Once its first claim found the queue empty, every free slot may be held.
    let granted = 0;
    await until(() => (granted = worker.reserve(10)) > 0, 'the first claim');
    expect(granted).toBe(4);
    expect(worker.reserve(1)).toBe(0);
    worker.dispatched([], 4);
    expect(worker.reserve(2)).toBe(2);
    worker.dispatched([], 2);
    // Woken for queued work: that is claimed first.
    worker.wake();
    expect(worker.reserve(1)).toBe(0);
    await worker.stop(0);
    expect(worker.reserve(1)).toBe(0);
  });

  it('does not report a new outage when an execution cut short by the last one fails after the store came back', async () => {
    const lost = () => Object.assign(new Error('Connection terminated unexpectedly'), { storeUnavailable: true });
    const claims = [
      async () => [{ executionId: 'x1', eventId: 'e1', userId: 'u1', installationId: 'i1', workflowId: 'w', version: 1, attempt: 1, attemptInRun: 1, hasSteps: false, inputs: {} }],
      async () => Promise.reject(lost()),
      async () => [],
    ];
    let failExecution!: () => void;
    const store = {
      versions: { get: () => new Promise((_, reject) => (failExecution = () => reject(lost()))) },
      executions: {
        claim: () => (claims.shift() ?? (async () => []))(),
        retryAt: async () => Promise.reject(lost()),
        extendLease: async () => undefined,
        release: async () => 0,
      },
    };
    const logs = captureLogs();
    try {
      const worker = new Worker({ store, retrySchedule: [100], retryAfterMaxMs: 3_600_000 } as unknown as ExecutorDeps, { concurrency: 4, leaseMs: 60_000, pollMs: 60_000 });
      worker.start();
      const said = () => logs.messages();
      await until(() => failExecution !== undefined, 'the first claim to start its execution');
      worker.wake(); // the second claim: the store is gone
      await until(() => said().some((l) => l.startsWith('worker: store unavailable')), 'the outage to be said');
      worker.wake(); // the third: it is back
      await until(() => said().some((l) => l.startsWith('worker: store available again')), 'the end of the outage to be said');
      failExecution(); // the execution claimed first, cut short by the outage, fails only now
      // Stopping waits for the running execution to end: by then its failure has been dealt with.
      expect(await worker.stop(5_000)).toBe(0);
      expect(said().filter((l) => l.startsWith('worker: store unavailable'))).toHaveLength(1);
      expect(said().filter((l) => l.startsWith('worker: store available again'))).toHaveLength(1);
    } finally {
      logs.restore();
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { ExecutorDeps } from '../../../server/engine/executor';
import { Worker } from '../../../server/engine/worker';
import { captureLogs } from '../../helpers/logs';

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
    await new Promise((r) => setTimeout(r, 10));
    expect(claims).toHaveLength(1);
    worker.wake();
    finishFirst();
    await new Promise((r) => setTimeout(r, 50));
    // Without the wake remembered, the second claim would come a minute later (the poll).
    expect(claims).toHaveLength(2);
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
    await new Promise((r) => setTimeout(r, 10));
    expect(worker.reserve(10)).toBe(4);
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
      const tick = () => new Promise((r) => setTimeout(r, 20));
      await tick();
      worker.wake(); // the second claim: the store is gone
      await tick();
      worker.wake(); // the third: it is back
      await tick();
      failExecution(); // the execution claimed first, cut short by the outage, fails only now
      await tick();
      const said = logs.messages();
      expect(said.filter((l) => l.startsWith('worker: store unavailable'))).toHaveLength(1);
      expect(said.filter((l) => l.startsWith('worker: store available again'))).toHaveLength(1);
      await worker.stop(0);
    } finally {
      logs.restore();
    }
  });
});

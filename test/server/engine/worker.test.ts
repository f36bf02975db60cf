import { describe, expect, it } from 'vitest';
import type { ExecutorDeps } from '../../../server/engine/executor';
import { Worker } from '../../../server/engine/worker';

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
});

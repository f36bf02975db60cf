import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** NetSuite with one polling workflow, `invoice-sync`, that streams each run's event to `url`. */
export function invoiceSyncIntegration(url: string, trigger: Record<string, unknown> = {}) {
  return {
    id: 'netsuite-sync',
    app: 'NetSuite',
    connector: 'netsuite',
    icon: '/icons/netsuite.svg',
    workflows: [
      {
        id: 'invoice-sync',
        name: 'Sync invoices to AcmeCo',
        version: 1,
        trigger: { type: 'poll', connector: 'netsuite', source: 'invoices', intervalSeconds: 300, params: { pageSize: 3 }, ...trigger },
        blocks: [{ id: 'send', connector: 'streamData', action: 'post', input: { url, body: '{{event}}' } }],
      },
    ],
  };
}

/** A clock file the engine reads (ALLOY_TEST_CLOCK_FILE), set in epoch milliseconds. */
export function testClock(start: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-clock-'));
  const file = path.join(dir, 'now');
  let now = start;
  const set = (ms: number) => fs.writeFileSync(file, String((now = ms)));
  set(start);
  return { file, now: () => now, set, advance: (ms: number) => set(now + ms), dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

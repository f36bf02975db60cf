import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a thread of their own. A checkpoint copies the write-ahead log into the
 * database file and fsyncs it; left to SQLite's auto-checkpoint it runs inside whichever COMMIT
 * crosses the threshold, stalling every request behind it. Here a second connection checkpoints
 * (PASSIVE: it never blocks the writer) every `intervalMs`, and truncates the log on close.
 * The worker is plain JavaScript evaluated in place, so it runs the same under tsx, vitest or
 * a build.
 */
const source = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const checkpoint = (mode) => {
  try { db.pragma('wal_checkpoint(' + mode + ')'); } catch { /* busy: the next round catches up */ }
};
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  checkpoint('TRUNCATE');
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  private readonly worker: Worker;
  private closing = false;

  /** `onFailure` runs if the thread dies: the caller turns SQLite's own auto-checkpoint back on. */
  constructor(file: string, intervalMs: number, onFailure: (err: Error) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(source, { eval: true, workerData: { driver, file, intervalMs } });
    this.worker.unref();
    this.worker.on('error', (err) => onFailure(err));
    this.worker.on('exit', (code) => {
      if (!this.closing) onFailure(new Error(`checkpoint thread exited with code ${code}`));
    });
  }

  /** Truncates the log and stops the thread. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Unreferenced while it runs (it must not keep a process alive); held while it finishes.
    this.worker.ref();
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('close');
    await exited;
  }
}

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a thread of their own. A checkpoint copies the write-ahead log into the
 * database file and fsyncs it; left to SQLite's auto-checkpoint it runs inside whichever COMMIT
 * crosses the threshold, stalling every request behind it. Here a second connection checkpoints
 * (PASSIVE: it never blocks the writer) every `intervalMs`, and truncates the log on close.
 *
 * A PASSIVE checkpoint never lets the log start over while commits keep coming (SQLite rewinds
 * it only when a write begins with every frame copied, and by the time one checkpoint ends the
 * writer has appended more): under steady load the file would grow without end, and every
 * lookup in it get slower. So once the log holds `restartFrames` frames, the thread asks for a
 * pause (`onRestartWanted`): the owner holds its queries back, calls `restart()`, which copies the
 * few frames written since the last checkpoint, and the next write starts the log over. A reader
 * of another process can hold that up (a backup, say): then the queries go on after 100 ms and
 * the next pause waits until the log has grown by as much again.
 *
 * The worker is plain JavaScript evaluated in place, so it runs the same under tsx, vitest or
 * a build.
 */
const source = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// Short: while the queries wait for a restart, it must not wait long for a reader (a backup, say).
db.pragma('busy_timeout = 100');
const checkpoint = (mode) => {
  try { return db.pragma('wal_checkpoint(' + mode + ')')[0]; } catch { return undefined; /* busy: the next round catches up */ }
};
// Frames past which to ask for a restart; raised after one that a reader held up.
let threshold = workerData.restartFrames;
let asked = false;
const timer = setInterval(() => {
  const done = checkpoint('PASSIVE');
  if (!asked && done && done.log >= threshold) {
    // Once more first, for what was written meanwhile: the pause copies only the rest.
    checkpoint('PASSIVE');
    asked = true;
    parentPort.postMessage('restart-wanted');
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'restart') {
    const done = checkpoint('RESTART');
    const ok = done !== undefined && done.busy === 0;
    threshold = ok ? workerData.restartFrames : Math.max(done ? done.log : 0, threshold) + workerData.restartFrames;
    asked = false;
    parentPort.postMessage('restarted');
    return;
  }
  if (message !== 'close') return;
  clearInterval(timer);
  db.pragma('busy_timeout = 5000');
  checkpoint('TRUNCATE');
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  private readonly worker: Worker;
  private closing = false;
  private gone = false;
  private restarted?: () => void;

  /**
   * `onFailure` runs if the thread dies: the caller turns SQLite's own auto-checkpoint back on.
   * `onRestartWanted` runs when the log has grown past `restartFrames` frames.
   */
  constructor(file: string, intervalMs: number, restartFrames: number, onRestartWanted: () => void, onFailure: (err: Error) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(source, { eval: true, workerData: { driver, file, intervalMs, restartFrames } });
    this.worker.unref();
    this.worker.on('message', (message: 'restart-wanted' | 'restarted') => {
      if (message === 'restart-wanted') onRestartWanted();
      else this.settle();
    });
    this.worker.on('error', (err) => onFailure(err));
    this.worker.on('exit', (code) => {
      this.gone = true;
      this.settle();
      if (!this.closing) onFailure(new Error(`checkpoint thread exited with code ${code}`));
    });
  }

  private settle(): void {
    const done = this.restarted;
    this.restarted = undefined;
    done?.();
  }

  /**
   * Copies what is left of the log into the database file, so that the next write starts the
   * log over (unless a reader held it up). Call it with the queries held back.
   */
  restart(): Promise<void> {
    if (this.closing || this.gone) return Promise.resolve();
    return new Promise((resolve) => {
      this.restarted = resolve;
      this.worker.postMessage('restart');
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

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../../../server/ids';
import { SqliteDb, type SqliteOptions } from '../../../server/store/sqlite';

const value = 'x'.repeat(1000);

/** Commits `commits` transactions of `rows` rows (1 KB each), one per turn of the event loop, as a server under steady load does; returns the slowest commit's milliseconds. */
async function commitSteadily(db: SqliteDb, commits: number, rows: number): Promise<number> {
  let slowest = 0;
  for (let c = 0; c < commits; c++) {
    const started = performance.now();
    await db.transaction(async (tx) => {
      for (let i = 0; i < rows; i++) await tx.run('INSERT INTO t (id, v) VALUES (?, ?)', [newId(), value]);
    });
    slowest = Math.max(slowest, performance.now() - started);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return slowest;
}

const count = (db: SqliteDb) => db.get<{ n: number }>('SELECT COUNT(*) AS n FROM t');

describe('SQLite store: WAL checkpoints on their own thread', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** A store in a new folder with one table, `t`. */
  async function open(options?: SqliteOptions): Promise<{ db: SqliteDb; file: string }> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-sqlite-'));
    const file = path.join(dir, 'a.sqlite');
    const db = new SqliteDb(file, options);
    await db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT)');
    return { db, file };
  }

  it('copies the log into the database file while running, and leaves an empty log on close', async () => {
    const { db, file } = await open();
    const sizeAfterCreate = fs.statSync(file).size;
    await commitSteadily(db, 20, 100);
    // SQLite's own auto-checkpoint is off on the writer: only the thread can have grown the file.
    await expect.poll(() => fs.statSync(file).size, { timeout: 5000 }).toBeGreaterThan(sizeAfterCreate + 1_000_000);
    // Event data and logs are in it in plain text: readable by its owner only, the log too.
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(`${file}-wal`).mode & 0o777).toBe(0o600);

    await db.close();

    expect(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0).toBe(0);
    const again = new SqliteDb(file);
    expect(await count(again)).toEqual({ n: 2000 });
    await again.close();
  });

  it('keeps the log bounded under writes that never stop: it starts over once past its frame limit', async () => {
    const { db, file } = await open({ checkpointIntervalMs: 20, restartFrames: 200 });
    await commitSteadily(db, 3000, 20);
    // Frames in the log now (a checkpoint reports them). If the log never started over, it would
    // hold every frame of the 3,000 commits: 37,615 here. Started over, it holds those since the
    // last restart: a few hundred, a few thousand on a loaded machine (the thread runs late).
    // (Busy, with -1 frames, while the checkpoint thread is at it: ask again.)
    const probe = new Database(file);
    const frames = () => (probe.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number }[])[0]!;
    await expect.poll(() => frames().busy, { interval: 5 }).toBe(0);
    const { log } = frames();
    probe.close();
    expect(log).toBeGreaterThan(0);
    expect(log).toBeLessThan(12_000);
    expect(await count(db)).toEqual({ n: 3000 * 20 });
    await db.close();
  });

  it('lets writes go on while a reader of another connection holds the log: the restart gives up after a moment', async () => {
    const { db, file } = await open({ checkpointIntervalMs: 20, restartFrames: 200 });
    await db.run('INSERT INTO t (id, v) VALUES (?, ?)', [newId(), value]);
    // A backup, say: a read transaction on its snapshot, which the log cannot start over under.
    const reader = new Database(file);
    reader.exec('BEGIN');
    expect(reader.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 1 });
    const slowest = await commitSteadily(db, 600, 20);
    reader.exec('COMMIT');
    reader.close();
    // A restart waiting on the reader as long as other waits do (5 s) would show here.
    expect(slowest).toBeLessThan(1000);
    expect(await count(db)).toEqual({ n: 1 + 600 * 20 });
    await db.close();
  });
});

describe('ids', () => {
  it('are 24 hex characters, unique, and sort after the ids of earlier seconds', () => {
    // The last id the second before this test began could have had (taken first: on a loaded machine the loop below can outlast a second).
    const older = (Math.floor(Date.now() / 1000) - 1).toString(16).padStart(8, '0') + 'f'.repeat(16);
    const ids = Array.from({ length: 10_000 }, () => newId());
    expect(ids.every((id) => /^[0-9a-f]{24}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id > older)).toBe(true);
  });

  it('made in the same second by one process follow each other (new rows land at the end of an index)', () => {
    const ids = Array.from({ length: 1000 }, () => newId());
    for (let i = 1; i < ids.length; i++) {
      if (ids[i]!.slice(0, 8) === ids[i - 1]!.slice(0, 8)) expect(ids[i]! > ids[i - 1]!).toBe(true);
      // The same process tag: one run of ids per process.
      expect(ids[i]!.slice(8, 14)).toBe(ids[0]!.slice(8, 14));
    }
  });
});

describe('SQLite store: writes outside a transaction commit together', () => {
  it('commits the writes of one turn in one transaction, each answered after it, and a failing one fails alone', async () => {
    const db = new SqliteDb(':memory:');
    await db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER)');
    await db.run('INSERT INTO t (id, v) VALUES (?, ?)', ['taken', 0]);
    const native = (db as unknown as { db: { exec(sql: string): unknown } }).db;
    const executed: string[] = [];
    const exec = native.exec.bind(native);
    native.exec = (sql: string) => (executed.push(sql), exec(sql));

    const writes = Array.from({ length: 50 }, (_, i) => db.run('INSERT INTO t (id, v) VALUES (?, ?)', [`r${i}`, i]));
    const duplicate = db.run('INSERT INTO t (id, v) VALUES (?, ?)', ['taken', 1]);
    const update = db.run('UPDATE t SET v = v + 1 WHERE id = ?', ['r0']);

    expect((await Promise.all(writes)).every((r) => r.changes === 1)).toBe(true);
    await expect(duplicate).rejects.toThrow(/UNIQUE/);
    expect(await update).toEqual({ changes: 1 });
    expect(executed).toEqual(['BEGIN IMMEDIATE', 'COMMIT']);
    expect(await db.get('SELECT COUNT(*) AS n, SUM(v) AS total FROM t')).toEqual({ n: 51, total: (49 * 50) / 2 + 1 });
    await db.close();
  });
});

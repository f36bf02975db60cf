import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Db, SqlExecutor } from './db';
import { Checkpointer } from './sqlite-checkpointer';
import { storeError } from '../observability/metrics';
import { logger } from '../observability/log';

type Statement = Database.Statement<unknown[], unknown>;

export interface SqliteOptions {
  /** How often the checkpoint thread copies the write-ahead log into the database file. */
  checkpointIntervalMs?: number;
  /** Frames (pages) in the log past which queries pause for it to start over (sqlite-checkpointer.ts). */
  restartFrames?: number;
}

const DEFAULTS: Required<SqliteOptions> = {
  checkpointIntervalMs: 250,
  // 64 MiB at 4 KiB pages. At ten thousand events a second (a page or so each) the log
  // reaches it every few seconds, and each time requests wait a few milliseconds (two fsyncs).
  restartFrames: 16_384,
};
/** A log left larger than this (a checkpoint held up by a long read) is cut back when it starts over. */
export const JOURNAL_SIZE_LIMIT = 128 * 1024 * 1024;

/**
 * SQLite through better-sqlite3: one connection, WAL, synchronous NORMAL (durable across a
 * process kill; only an OS crash can lose the last commits). Checkpoints run on a thread of
 * their own (sqlite-checkpointer.ts), not inside a request's COMMIT; past `restartFrames`, the
 * queries wait while it lets the log start over.
 */
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Statement>();
  // better-sqlite3 is synchronous but our transaction bodies are async: while one is open,
  // any other query waits, so nothing from another request lands inside it.
  private txTail: Promise<void> = Promise.resolve();
  private txOpen = false;
  private readonly checkpointer?: Checkpointer;

  constructor(file: string, options: SqliteOptions = {}) {
    const { checkpointIntervalMs, restartFrames } = { ...DEFAULTS, ...options };
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    // The store holds event data and execution logs in plain text: owner-only, like the key files.
    if (file !== ':memory:') fs.chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    if (file !== ':memory:') {
      this.db.pragma('wal_autocheckpoint = 0');
      this.db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
      this.checkpointer = new Checkpointer(
        file,
        checkpointIntervalMs,
        restartFrames,
        () => void this.restartLog(),
        (err) => {
          logger.warn(`sqlite: checkpoint thread failed (${err.message}); checkpointing on commit instead`);
          if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
        },
      );
    }
  }

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private readonly direct: SqlExecutor = {
    all: async <T>(sql: string, params: readonly unknown[] = []) => counted(() => this.statement(sql).all(...toSqlite(params)) as T[]),
    get: async <T>(sql: string, params: readonly unknown[] = []) =>
      counted(() => {
        const stmt = this.statement(sql);
        return (stmt.reader ? stmt.get(...toSqlite(params)) : (stmt.run(...toSqlite(params)), undefined)) as T | undefined;
      }),
    run: async (sql: string, params: readonly unknown[] = []) => this.runNow(sql, params),
  };

  private runNow(sql: string, params: readonly unknown[]): { changes: number } {
    return counted(() => {
      const stmt = this.statement(sql);
      if (stmt.reader) return { changes: stmt.all(...toSqlite(params)).length };
      return { changes: stmt.run(...toSqlite(params)).changes };
    });
  }

  private async outsideTransaction(): Promise<void> {
    while (this.txOpen) await this.txTail;
  }

  async all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    await this.outsideTransaction();
    return this.direct.all<T>(sql, params);
  }
  async get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    await this.outsideTransaction();
    return this.direct.get<T>(sql, params);
  }
  /**
   * A write outside a transaction joins the others issued in the same turn of the event loop:
   * they commit together, each answered once that commit is done (as a commit of its own would
   * be), but one commit writes the pages they share once, not once each. A statement that fails
   * fails alone; the others still commit.
   */
  run(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    return new Promise((resolve, reject) => {
      this.writes.push({ sql, params, resolve, reject });
      if (this.writes.length === 1) setImmediate(() => void this.commitWrites());
    });
  }

  private writes: { sql: string; params: readonly unknown[]; resolve(r: { changes: number }): void; reject(err: unknown): void }[] = [];

  private async commitWrites(): Promise<void> {
    await this.outsideTransaction();
    const writes = this.writes;
    this.writes = [];
    // better-sqlite3 is synchronous: from BEGIN to COMMIT nothing else runs in between.
    const done: [(typeof writes)[number], { changes: number }][] = [];
    const failed = new Set<(typeof writes)[number]>();
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const w of writes) {
        try {
          // A statement that fails is undone alone (SQLite's statement rollback); the transaction goes on.
          done.push([w, this.runNow(w.sql, w.params)]);
        } catch (err) {
          if (!this.db.inTransaction) throw err; // an error that ended the transaction ends the batch
          failed.add(w);
          w.reject(err);
        }
      }
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const w of writes) if (!failed.has(w)) w.reject(err);
      return;
    }
    for (const [w, result] of done) w.resolve(result);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusively(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const value = await fn(this.direct);
        this.db.exec('COMMIT');
        return value;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** Runs `fn` with every other query of this connection held back until it is done. */
  private exclusively<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.txTail.then(async () => {
      await this.outsideTransaction();
      this.txOpen = true;
      try {
        return await fn();
      } finally {
        this.txOpen = false;
      }
    });
    this.txTail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Holds the connection's queries back (writes and reads alike) while the checkpoint thread
   * copies the rest of the log, so that the next write starts it over (sqlite-checkpointer.ts).
   */
  private restartLog(): Promise<void> {
    return this.exclusively(async () => this.checkpointer?.restart());
  }

  async exec(script: string): Promise<void> {
    await this.outsideTransaction();
    this.db.exec(script);
  }

  async close(): Promise<void> {
    while (this.writes.length > 0) await new Promise((resolve) => setImmediate(resolve));
    await this.txTail;
    await this.checkpointer?.close();
    this.db.close();
  }
}

/** Runs a statement, counting its failure in the metrics (store_errors_total). */
function counted<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    throw storeError(err);
  }
}

// SQLite has no boolean type and better-sqlite3 refuses `true`: store booleans as 0/1.
function toSqlite(params: readonly unknown[]): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

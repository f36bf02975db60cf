import { isDeepStrictEqual } from 'node:util';
import type { Db, SqlExecutor } from './db';
import { WORK_CHANNEL } from './postgres';
import { newId } from '../ids';
import type { PollSpec } from '../triggers/poll';

/** An installation's poll as its runner sees it (server/engine/poller.ts). */
export interface PollState {
  spec: PollSpec;
  /** Where the list goes on, as the list source wrote it; null before the first page. */
  checkpoint: string | null;
  /** When the next round is due (epoch ms); null while the installation is paused. */
  dueAt: number | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  /** When the last round finished without an error (epoch ms). */
  lastPolledAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
}

/** A round taken by one process: the poll, the installation it runs for, and who holds the lease. */
export interface TakenPoll {
  installationId: string;
  userId: string;
  workflowId: string;
  credentialIds: string[];
  spec: PollSpec;
  checkpoint: string | null;
  dueAt: number;
  owner: string;
}

/** One new or changed record to emit: its event (name, data, idempotency key) and what dedupes it. */
export interface PollEmission {
  source: string;
  key: string;
  version: string;
  name: string;
  data: unknown;
  idempotencyKey: string;
}

/** What a page's commit did: `emitted` runs recorded; `lost`: another process holds the round now; `inactive`: the installation is paused or gone, nothing written. */
export type PageOutcome = { emitted: number } | 'lost' | 'inactive';

type StateRow = { spec: string; checkpoint: string | null; due_at: number | null; lease_owner: string | null; lease_until: number | null } & Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
// What the records are depends on these; the interval only says when to look.
const sameSource = (a: PollSpec, b: PollSpec) => a.connector === b.connector && a.source === b.source && isDeepStrictEqual(a.params, b.params);
/** Keeps a paused poll paused when a round that was under way ends. */
const DUE_UNLESS_PAUSED = 'due_at = CASE WHEN due_at IS NULL THEN NULL ELSE CAST(? AS BIGINT) END';

/**
 * The polls of installations of polling workflows: one row each, planned by the poll trigger's hooks
 * in the installation's own transaction (server/triggers/poll.ts), taken round by round under a lease
 * by the poller beside each worker (server/engine/poller.ts), which commits each page's runs with the
 * checkpoint that follows it.
 */
export class Polls {
  constructor(private readonly db: Db) {}

  /**
   * Plans an installation's poll: due at `now` when active (else paused). A plan with another
   * connector, source or params starts the list over (its checkpoint goes, and any round under way
   * loses its lease); one that only changes the interval keeps both.
   */
  async plan(installationId: string, spec: PollSpec, active: boolean, now: number, tx: SqlExecutor): Promise<void> {
    const row = await tx.get<{ spec: string }>('SELECT spec FROM poll_states WHERE installation_id = ?', [installationId]);
    if (!row) {
      await tx.run('INSERT INTO poll_states (installation_id, spec, due_at, updated_at) VALUES (?, ?, ?, ?)', [installationId, JSON.stringify(spec), active ? now : null, now]);
      return;
    }
    const was = JSON.parse(row.spec) as PollSpec;
    if (isDeepStrictEqual(was, spec)) return;
    if (sameSource(was, spec)) {
      await tx.run('UPDATE poll_states SET spec = ?, updated_at = ? WHERE installation_id = ?', [JSON.stringify(spec), now, installationId]);
      return;
    }
    await tx.run('UPDATE poll_states SET spec = ?, checkpoint = NULL, due_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE installation_id = ?', [
      JSON.stringify(spec),
      active ? now : null,
      now,
      installationId,
    ]);
  }

  /** Pauses a poll: it keeps its checkpoint, and a round under way ends without emitting its page. */
  async pause(installationId: string, now: number, tx: SqlExecutor): Promise<void> {
    await tx.run('UPDATE poll_states SET due_at = NULL, updated_at = ? WHERE installation_id = ?', [now, installationId]);
  }

  /** Resumes a paused poll, due at once: it goes on from its checkpoint. */
  async resume(installationId: string, now: number, tx: SqlExecutor): Promise<void> {
    await tx.run('UPDATE poll_states SET due_at = ?, updated_at = ? WHERE installation_id = ? AND due_at IS NULL', [now, now, installationId]);
  }

  /** Forgets an installation's poll, and which records it emitted. */
  async remove(installationId: string, tx: SqlExecutor): Promise<void> {
    await tx.run('DELETE FROM poll_states WHERE installation_id = ?', [installationId]);
    await tx.run('DELETE FROM poll_records WHERE installation_id = ?', [installationId]);
  }

  async state(installationId: string): Promise<PollState | undefined> {
    const r = await this.db.get<StateRow>('SELECT * FROM poll_states WHERE installation_id = ?', [installationId]);
    if (!r) return undefined;
    return {
      spec: JSON.parse(r.spec) as PollSpec,
      checkpoint: r.checkpoint,
      dueAt: num(r.due_at),
      leaseOwner: r.lease_owner,
      leaseUntil: num(r.lease_until),
      lastPolledAt: num(r.last_polled_at),
      lastError: (r.last_error as string | null) ?? null,
      lastErrorAt: num(r.last_error_at),
    };
  }

  /** Up to `limit` installations whose poll is due at `now` and not leased, the longest due first. */
  async due(now: number, limit: number): Promise<string[]> {
    const rows = await this.db.all<{ installation_id: string }>(
      'SELECT installation_id FROM poll_states WHERE due_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due_at LIMIT ?',
      [now, now, limit],
    );
    return rows.map((r) => r.installation_id);
  }

  /** Takes a due round under a lease until `leaseUntil`, unless another process holds it (or it is no longer due). */
  async take(installationId: string, owner: string, now: number, leaseUntil: number): Promise<TakenPoll | undefined> {
    return this.db.transaction(async (tx) => {
      const taken = await tx.run(
        `UPDATE poll_states SET lease_owner = ?, lease_until = ?, updated_at = ?
         WHERE installation_id = ? AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)`,
        [owner, leaseUntil, now, installationId, now, now],
      );
      if (taken.changes === 0) return undefined;
      const r = await tx.get<{ spec: string; checkpoint: string | null; due_at: number; user_id: string; workflow_id: string; credential_ids: string }>(
        `SELECT p.spec, p.checkpoint, p.due_at, i.user_id, i.workflow_id, i.credential_ids FROM poll_states p
         JOIN installations i ON i.id = p.installation_id WHERE p.installation_id = ?`,
        [installationId],
      );
      if (!r) return undefined;
      const spec = JSON.parse(r.spec) as PollSpec;
      return {
        installationId,
        userId: r.user_id,
        workflowId: r.workflow_id,
        credentialIds: JSON.parse(r.credential_ids),
        spec,
        checkpoint: r.checkpoint,
        dueAt: Number(r.due_at),
        owner,
      };
    });
  }

  /**
   * Commits one page of a round, in one transaction, if this process still holds it: the runs of
   * the records whose version it has not emitted yet (each an event and a queued execution), the
   * records' versions, and the checkpoint after the page. `next` is the lease for the next page, or,
   * on the round's last page, when the next round is due (the lease and the last error go).
   */
  async commitPage(
    taken: TakenPoll,
    records: readonly PollEmission[],
    checkpoint: string | null,
    next: { leaseUntil: number } | { dueAt: number; now: number },
  ): Promise<PageOutcome> {
    return this.db.transaction(async (tx) => {
      const { installationId, owner } = taken;
      const installation = await tx.get<{ version: number; active: number | boolean }>('SELECT version, active FROM installations WHERE id = ?', [installationId]);
      if (!installation || !Number(installation.active)) {
        await tx.run('UPDATE poll_states SET lease_owner = NULL, lease_until = NULL WHERE installation_id = ? AND lease_owner = ?', [installationId, owner]);
        return 'inactive';
      }
      const moved =
        'leaseUntil' in next
          ? await tx.run('UPDATE poll_states SET checkpoint = ?, lease_until = ? WHERE installation_id = ? AND lease_owner = ?', [
              checkpoint,
              next.leaseUntil,
              installationId,
              owner,
            ])
          : await tx.run(
              `UPDATE poll_states SET checkpoint = ?, ${DUE_UNLESS_PAUSED}, lease_owner = NULL, lease_until = NULL, last_polled_at = ?, last_error = NULL, last_error_at = NULL, updated_at = ?
               WHERE installation_id = ? AND lease_owner = ?`,
              [checkpoint, next.dueAt, next.now, next.now, installationId, owner],
            );
      if (moved.changes === 0) return 'lost';
      let emitted = 0;
      const now = Date.now();
      for (const record of records) {
        if (await this.alreadyEmitted(tx, installationId, record, now)) continue;
        const eventId = newId();
        const executionId = newId();
        const response = JSON.stringify({ message: 'Event successfully triggered', eventId, executionIds: [executionId] });
        const inserted = await tx.get<{ id: string }>(
          `INSERT INTO events (id, user_id, idempotency_key, request_hash, name, data, source, response, received_at)
           VALUES (?, ?, ?, '', ?, ?, 'poll', ?, ?) ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id`,
          [eventId, taken.userId, record.idempotencyKey, record.name, JSON.stringify(record.data), response, now],
        );
        if (!inserted) continue;
        await tx.run(
          `INSERT INTO executions (id, event_id, user_id, installation_id, workflow_id, version, status, attempts, next_attempt_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`,
          [executionId, eventId, taken.userId, installationId, taken.workflowId, Number(installation.version), now, now],
        );
        emitted++;
      }
      // Wakes the workers of every process sharing the database when this commits (LISTEN in postgres.ts).
      if (emitted > 0 && this.db.dialect === 'postgres') await tx.get(`SELECT pg_notify(${WORK_CHANNEL}, '')`);
      return { emitted };
    });
  }

  /** Records the record's version as emitted; true when it already was (the same version: nothing to emit). */
  private async alreadyEmitted(tx: SqlExecutor, installationId: string, record: PollEmission, now: number): Promise<boolean> {
    const fresh = await tx.get(
      `INSERT INTO poll_records (installation_id, source, record_key, version, emitted_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (installation_id, source, record_key) DO UPDATE SET version = excluded.version, emitted_at = excluded.emitted_at
       WHERE poll_records.version <> excluded.version RETURNING record_key`,
      [installationId, record.source, record.key, record.version, now],
    );
    return !fresh;
  }

  /** Ends a round that failed, if this process still holds it: the error is kept, the checkpoint stays, and the next round is due at `dueAt`. */
  async fail(taken: TakenPoll, message: string, now: number, dueAt: number): Promise<boolean> {
    const result = await this.db.run(
      `UPDATE poll_states SET ${DUE_UNLESS_PAUSED}, lease_owner = NULL, lease_until = NULL, last_error = ?, last_error_at = ?, updated_at = ?
       WHERE installation_id = ? AND lease_owner = ?`,
      [dueAt, message, now, now, taken.installationId, taken.owner],
    );
    return result.changes > 0;
  }

  /** Lets go of a round before its end (the process stops, or the round read its share of pages): still due, any process goes on from its checkpoint. */
  async release(taken: TakenPoll): Promise<void> {
    await this.db.run('UPDATE poll_states SET lease_owner = NULL, lease_until = NULL WHERE installation_id = ? AND lease_owner = ?', [taken.installationId, taken.owner]);
  }
}

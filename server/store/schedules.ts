import type { Db, SqlExecutor } from './db';
import { WORK_CHANNEL } from './postgres';
import { newId } from '../ids';
import type { ScheduleSpec } from '../triggers/cron';

/** An installation's schedule whose next occurrence is due. */
export interface DueSchedule {
  installationId: string;
  userId: string;
  workflowId: string;
  version: number;
  spec: ScheduleSpec;
  /** Its next occurrence as stored (epoch ms): a take moves it on only from this value. */
  dueAt: number;
}

/** The event an occurrence records, with its one execution. */
export interface OccurrenceEvent {
  name: string;
  data: unknown;
  /** One per installation and occurrence: a repeat records nothing. */
  idempotencyKey: string;
}

interface DueRow {
  installation_id: string;
  user_id: string;
  workflow_id: string;
  version: number;
  spec: string;
  due_at: number;
}

/**
 * The schedules of active installations of scheduled workflows: one row each, with its next
 * occurrence. Written by the schedule trigger's hooks in the installation's own transaction
 * (server/triggers/schedule.ts); taken by the scheduler beside each worker (server/engine/scheduler.ts).
 */
export class Schedules {
  constructor(private readonly db: Db) {}

  /**
   * Plans an installation's schedule from `dueAt`, unless it has one with the same spec already
   * (a reconfiguration keeps the occurrence it was waiting for).
   */
  async plan(installationId: string, spec: ScheduleSpec, dueAt: number, executor: SqlExecutor = this.db): Promise<void> {
    await executor.run(
      `INSERT INTO schedule_states (installation_id, spec, due_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (installation_id) DO UPDATE SET spec = excluded.spec, due_at = excluded.due_at, updated_at = excluded.updated_at
       WHERE schedule_states.spec <> excluded.spec`,
      [installationId, JSON.stringify(spec), dueAt, Date.now()],
    );
  }

  async remove(installationId: string, executor: SqlExecutor = this.db): Promise<void> {
    await executor.run('DELETE FROM schedule_states WHERE installation_id = ?', [installationId]);
  }

  /** The next occurrence of an installation's schedule (epoch ms), or undefined when it has none. */
  async dueAt(installationId: string): Promise<number | undefined> {
    const row = await this.db.get<{ due_at: number }>('SELECT due_at FROM schedule_states WHERE installation_id = ?', [installationId]);
    return row && Number(row.due_at);
  }

  /** Up to `limit` schedules due at `now`, the longest due first. */
  async due(now: number, limit: number): Promise<DueSchedule[]> {
    const rows = await this.db.all<DueRow>(
      `SELECT s.installation_id, s.spec, s.due_at, i.user_id, i.workflow_id, i.version FROM schedule_states s
       JOIN installations i ON i.id = s.installation_id WHERE s.due_at <= ? ORDER BY s.due_at LIMIT ?`,
      [now, limit],
    );
    return rows.map((r) => ({
      installationId: r.installation_id,
      userId: r.user_id,
      workflowId: r.workflow_id,
      version: Number(r.version),
      spec: JSON.parse(r.spec) as ScheduleSpec,
      dueAt: Number(r.due_at),
    }));
  }

  /**
   * Plans the schedule of each active installation of a workflow version that has none (installed
   * before schedules were kept) from `dueAt`; returns how many it planned.
   *
   * On PostgreSQL each installation read is locked (FOR SHARE) until the insert commits: an
   * installation that a concurrent change (an upgrade to a version without a schedule, a
   * deactivation) is moving is read again once that change commits, and planned only if it still
   * matches. Without the lock the insert would read it as it was, wait for the change's removal
   * of the plan, and then write the plan back.
   */
  async planActive(workflowId: string, version: number, spec: ScheduleSpec, dueAt: number): Promise<number> {
    const lock = this.db.dialect === 'postgres' ? 'FOR SHARE' : '';
    const result = await this.db.run(
      `INSERT INTO schedule_states (installation_id, spec, due_at, updated_at)
       SELECT id, ?, ?, ? FROM installations WHERE workflow_id = ? AND version = ? AND active = 1 ${lock}
       ON CONFLICT (installation_id) DO NOTHING`,
      [JSON.stringify(spec), dueAt, Date.now(), workflowId, version],
    );
    return result.changes;
  }

  /**
   * Takes a due occurrence, in one transaction: moves the schedule from `due.dueAt` to `nextDueAt`
   * (null: it never occurs again, the schedule goes) only if it is still at `due.dueAt`, so two
   * processes cannot both take it, and records the event with its queued execution. Undefined
   * when another process took it first, or the installation is no longer active (its schedule goes).
   */
  async take(due: DueSchedule, nextDueAt: number | null, event: OccurrenceEvent): Promise<{ eventId: string; executionId: string } | undefined> {
    return this.db.transaction(async (tx) => {
      const now = Date.now();
      const moved =
        nextDueAt === null
          ? await tx.run('DELETE FROM schedule_states WHERE installation_id = ? AND due_at = ?', [due.installationId, due.dueAt])
          : await tx.run('UPDATE schedule_states SET due_at = ?, updated_at = ? WHERE installation_id = ? AND due_at = ?', [nextDueAt, now, due.installationId, due.dueAt]);
      if (moved.changes === 0) return undefined;
      const installation = await tx.get<{ version: number }>('SELECT version FROM installations WHERE id = ? AND active = 1', [due.installationId]);
      if (!installation) {
        await tx.run('DELETE FROM schedule_states WHERE installation_id = ?', [due.installationId]);
        return undefined;
      }
      const eventId = newId();
      const executionId = newId();
      const response = JSON.stringify({ message: 'Event successfully triggered', eventId, executionIds: [executionId] });
      const inserted = await tx.get<{ id: string }>(
        `INSERT INTO events (id, user_id, idempotency_key, request_hash, name, data, source, response, received_at)
         VALUES (?, ?, ?, '', ?, ?, 'schedule', ?, ?) ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id`,
        [eventId, due.userId, event.idempotencyKey, event.name, JSON.stringify(event.data), response, now],
      );
      if (!inserted) return undefined;
      await tx.run(
        `INSERT INTO executions (id, event_id, user_id, installation_id, workflow_id, version, status, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`,
        [executionId, eventId, due.userId, due.installationId, due.workflowId, Number(installation.version), now, now],
      );
      // Wakes the workers of every process sharing the database when this commits (LISTEN in postgres.ts).
      if (this.db.dialect === 'postgres') await tx.get(`SELECT pg_notify(${WORK_CHANNEL}, '')`);
      return { eventId, executionId };
    });
  }
}

import type { Db } from './db';
import { newId } from '../ids';

export interface AcceptedEvent {
  message: string;
  eventId: string;
  executionIds: string[];
}

export interface EventInput {
  userId: string;
  /** The trigger key: a custom event's name, or `connector:event` for an app trigger. */
  name: string;
  data: unknown;
  source: 'isv' | 'browser' | 'webhook';
  idempotencyKey?: string;
  /** Hash of what was asked, to tell an honest repeat from a reused key. */
  requestHash: string;
  /** Only this installation (inbound webhook, `POST /run/workflow`), instead of every listener. */
  installationId?: string;
}

export type AcceptResult =
  | { kind: 'accepted'; response: AcceptedEvent }
  | { kind: 'repeat'; response: AcceptedEvent }
  | { kind: 'key_reused' };

/** Events and the executions they start. */
export class Events {
  constructor(private readonly db: Db) {}

  /**
   * Records an event and one queued execution per active installation of that user whose
   * installed version listens to it, in one transaction, before anyone is answered. With an
   * idempotency key, a repeat returns the first answer and records nothing.
   */
  async accept(input: EventInput): Promise<AcceptResult> {
    return this.db.transaction(async (tx) => {
      const key = input.idempotencyKey ?? null;
      const eventId = newId();
      const now = Date.now();
      const inserted = await tx.get<{ id: string }>(
        `INSERT INTO events (id, user_id, idempotency_key, request_hash, name, data, source, response, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, '', ?) ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id`,
        [eventId, input.userId, key, input.requestHash, input.name, JSON.stringify(input.data ?? null), input.source, now],
      );
      if (!inserted) {
        const first = await tx.get<{ request_hash: string; response: string }>(
          'SELECT request_hash, response FROM events WHERE user_id = ? AND idempotency_key = ?',
          [input.userId, key],
        );
        if (!first || first.request_hash !== input.requestHash) return { kind: 'key_reused' };
        return { kind: 'repeat', response: JSON.parse(first.response) as AcceptedEvent };
      }
      const listeners = input.installationId
        ? await tx.all<{ id: string; workflow_id: string; version: number }>(
            'SELECT id, workflow_id, version FROM installations WHERE id = ? AND user_id = ? AND active = 1',
            [input.installationId, input.userId],
          )
        : await tx.all<{ id: string; workflow_id: string; version: number }>(
            `SELECT i.id, i.workflow_id, i.version FROM installations i
             JOIN workflow_versions v ON v.workflow_id = i.workflow_id AND v.version = i.version
             WHERE i.user_id = ? AND i.active = 1 AND v.trigger_key = ? ORDER BY i.installed_at, i.id`,
            [input.userId, input.name],
          );
      const executionIds: string[] = [];
      for (const listener of listeners) {
        const executionId = newId();
        executionIds.push(executionId);
        await tx.run(
          `INSERT INTO executions (id, event_id, user_id, installation_id, workflow_id, version, status, attempts, next_attempt_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`,
          [executionId, eventId, input.userId, listener.id, listener.workflow_id, listener.version, now, now],
        );
      }
      const response: AcceptedEvent = { message: 'Event successfully triggered', eventId, executionIds };
      await tx.run('UPDATE events SET response = ? WHERE id = ?', [JSON.stringify(response), eventId]);
      return { kind: 'accepted', response };
    });
  }
}

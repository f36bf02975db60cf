import type { Db, SqlExecutor } from '../../server/store/db';

/** The demo's workflows the loaded executions belong to (their names resolve in the console). */
export const BULK_WORKFLOWS = [
  { workflowId: 'slack-ticket-created', integrationId: 'slack', block: 'post-message' },
  { workflowId: 'hubspot-ticket-deal', integrationId: 'hubspot', block: 'create-deal' },
  { workflowId: 'jira-ticket-issue', integrationId: 'jira', block: 'create-issue' },
] as const;

/** The messages failed executions end with: a few, so the error groups are few and large, as they are in life. */
export const BULK_ERRORS = ['POST https://slack.com/api/chat.postMessage: HTTP 503 (gave up after 6 attempts)', 'needs_reconnect: the account was refused', 'HTTP 404: not found'];

export interface BulkLoad {
  executions: number;
  users: number;
  /** The newest execution's creation time; the others go back one `spacingMs` each. */
  now: number;
  spacingMs: number;
  /** Lifecycle webhook messages, one for every this many executions (their delivery log). */
  messageEvery: number;
}

const ROWS_PER_STATEMENT = 1000;

/** Inserts `rows` (arrays in `columns` order) into `table`, ROWS_PER_STATEMENT at a time. */
async function insertRows(tx: SqlExecutor, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const one = `(${columns.map(() => '?').join(', ')})`;
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    await tx.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => one).join(', ')}`, chunk.flat());
  }
}

const pad = (n: number) => n.toString().padStart(8, '0');

/**
 * Loads `executions` executions (each with its event) of `users` users, each user with an
 * installation of every BULK_WORKFLOWS workflow, into the store in one transaction, as multi-row
 * INSERTs: about 100,000 a few seconds. Executions are spaced `spacingMs` apart back from `now`
 * (the default spreads 100,000 over a week); about 88% succeeded, 8% failed (each with its error
 * log entry, half of which had an error webhook notice, one in ten still pending), 3% skipped, 1%
 * queued; two steps for the failed ones and one in ten of the others; a lifecycle webhook message every `messageEvery`, a few failed. Durations run from 20 ms to a few seconds, skewed as real ones are. Then, on PostgreSQL,
 * ANALYZE, as autovacuum would have by then: the plans are those of a store in use.
 */
export async function loadExecutions(db: Db, options: Partial<BulkLoad> = {}): Promise<BulkLoad> {
  const load: BulkLoad = { executions: 100_000, users: 1000, now: Date.now(), spacingMs: 6000, messageEvery: 10, ...options };
  const users: unknown[][] = [];
  const installations: unknown[][] = [];
  for (let u = 0; u < load.users; u++) {
    const created = load.now - load.executions * load.spacingMs - 86_400_000;
    users.push([`bulk-user-${pad(u)}`, `bulk-${pad(u)}`, created, created]);
    for (const w of BULK_WORKFLOWS)
      installations.push([`bulk-inst-${pad(u)}-${w.workflowId}`, `bulk-user-${pad(u)}`, w.integrationId, w.workflowId, 1, '{}', '[]', 1, created, created]);
  }
  const events: unknown[][] = [];
  const executions: unknown[][] = [];
  const errors: unknown[][] = [];
  const messages: unknown[][] = [];
  const steps: unknown[][] = [];
  for (let i = 0; i < load.executions; i++) {
    const created = load.now - (load.executions - 1 - i) * load.spacingMs;
    const u = (i * 7919) % load.users;
    const w = BULK_WORKFLOWS[i % BULK_WORKFLOWS.length]!;
    const roll = (i * 2654435761) % 100;
    const status = roll < 88 ? 'succeeded' : roll < 96 ? 'failed' : roll < 99 ? 'skipped' : 'queued';
    // Skewed like real latencies: most fast, a long tail.
    const duration = 20 + Math.floor(((i * 48271) % 1000) ** 3 / 250_000);
    const finished = status === 'queued' ? null : created + duration;
    const id = `bulk-x-${pad(i)}`;
    const message = status === 'failed' ? BULK_ERRORS[i % BULK_ERRORS.length]! : null;
    events.push([`bulk-e-${pad(i)}`, `bulk-user-${pad(u)}`, '', 'Ticket Created', '{"ticketName":"T"}', 'isv', '', created]);
    executions.push([
      id,
      `bulk-e-${pad(i)}`,
      `bulk-user-${pad(u)}`,
      `bulk-inst-${pad(u)}-${w.workflowId}`,
      w.workflowId,
      1,
      status,
      status === 'queued' ? 0 : 1,
      status === 'queued' ? created : null,
      created,
      finished === null ? null : created + 5,
      finished,
      message,
    ]);
    if (status === 'failed') {
      const notice = i % 2 === 0;
      const pending = notice && i % 20 === 0;
      errors.push([`bulk-err-${pad(i)}`, id, `bulk-user-${pad(u)}`, w.workflowId, w.block, message, finished, pending ? finished : null, notice ? 1 : 0]);
    }
    // Steps for the failed executions and one in ten of the others: enough for the planner to know the table.
    if (finished !== null && (status === 'failed' || i % 10 === 0)) {
      steps.push([id, 'trigger', 1, '{}', '{}', null, created + 5, created + 10]);
      steps.push([id, w.block, 1, '{"text":"T"}', message === null ? '{"ok":true}' : null, message, created + 10, finished]);
    }
    if (i % load.messageEvery === 0) {
      const delivered = i % 7 !== 0;
      messages.push([
        `msg_bulk-${pad(i)}`,
        'installation.updated',
        '{}',
        created,
        delivered ? 'delivered' : 'failed',
        1,
        delivered ? 204 : 500,
        delivered ? null : 'HTTP 500',
        created + 50,
      ]);
    }
  }
  await db.transaction(async (tx) => {
    await insertRows(tx, 'users', ['id', 'username', 'created_at', 'updated_at'], users);
    await insertRows(
      tx,
      'installations',
      ['id', 'user_id', 'integration_id', 'workflow_id', 'version', 'config', 'credential_ids', 'active', 'installed_at', 'updated_at'],
      installations,
    );
    await insertRows(tx, 'events', ['id', 'user_id', 'request_hash', 'name', 'data', 'source', 'response', 'received_at'], events);
    await insertRows(
      tx,
      'executions',
      ['id', 'event_id', 'user_id', 'installation_id', 'workflow_id', 'version', 'status', 'attempts', 'next_attempt_at', 'created_at', 'started_at', 'finished_at', 'error'],
      executions,
    );
    await insertRows(tx, 'steps', ['execution_id', 'block_id', 'attempt', 'input', 'output', 'error', 'started_at', 'finished_at'], steps);
    await insertRows(tx, 'webhook_messages', ['id', 'type', 'data', 'created_at', 'status', 'attempts', 'last_status', 'last_error', 'last_attempt_at'], messages);
    await insertRows(tx, 'errors', ['id', 'execution_id', 'user_id', 'workflow_id', 'block', 'message', 'occurred_at', 'notice_at', 'notice_tries'], errors);
  });
  if (db.dialect === 'postgres') await db.run('ANALYZE');
  return load;
}

import type { Db } from './db';

// Written once for both databases: TEXT ids, BIGINT epoch milliseconds, INTEGER 0/1 booleans,
// JSON as TEXT. Append new migrations; never edit a released one.
const migrations: string[] = [
  `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    full_name TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_jwk TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE workflow_versions (
    workflow_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    integration_id TEXT NOT NULL,
    definition TEXT NOT NULL,
    hash TEXT NOT NULL,
    trigger_key TEXT,
    released_at BIGINT NOT NULL,
    PRIMARY KEY (workflow_id, version)
  );
  CREATE INDEX workflow_versions_trigger ON workflow_versions(trigger_key);
  CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app TEXT NOT NULL,
    type TEXT NOT NULL,
    secret TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX credentials_user ON credentials(user_id);
  CREATE TABLE installations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    config TEXT NOT NULL,
    credential_ids TEXT NOT NULL,
    active INTEGER NOT NULL,
    webhook_token TEXT UNIQUE,
    installed_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, workflow_id)
  );
  CREATE INDEX installations_workflow ON installations(workflow_id);
  CREATE TABLE pending_installations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL,
    workflow_ids TEXT NOT NULL,
    credential_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE TABLE events (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    idempotency_key TEXT,
    request_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT,
    source TEXT NOT NULL,
    response TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (user_id, idempotency_key)
  );
  CREATE INDEX events_received ON events(received_at);
  CREATE TABLE executions (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    installation_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    error TEXT
  );
  CREATE INDEX executions_due ON executions(status, next_attempt_at);
  CREATE INDEX executions_workflow_user ON executions(workflow_id, user_id, created_at);
  CREATE INDEX executions_user ON executions(user_id);
  CREATE INDEX executions_event ON executions(event_id);
  CREATE TABLE steps (
    execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    block_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    input TEXT,
    output TEXT,
    error TEXT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    PRIMARY KEY (execution_id, block_id, attempt)
  );
  CREATE TABLE errors (
    id TEXT PRIMARY KEY,
    execution_id TEXT REFERENCES executions(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workflow_id TEXT NOT NULL,
    block TEXT,
    message TEXT NOT NULL,
    occurred_at BIGINT NOT NULL
  );
  CREATE INDEX errors_workflow ON errors(workflow_id, occurred_at);
  CREATE INDEX errors_user ON errors(user_id);
  `,
  // The engine: who holds an execution's lease; the attempt count a re-run started from.
  `
  ALTER TABLE executions ADD COLUMN lease_owner TEXT;
  ALTER TABLE executions ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX executions_running ON executions(status, lease_until);
  `,
  // OAuth 2.0 authorization requests between start and callback (state, PKCE verifier).
  `
  CREATE TABLE oauth_states (
    state TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    origin TEXT,
    expires_at BIGINT NOT NULL
  );
  `,
  // The queue by user: a claim finds the users with due work and each one's oldest, without
  // reading the whole backlog (it replaces the index on status and due time alone).
  `
  CREATE INDEX executions_queue ON executions(status, user_id, next_attempt_at);
  DROP INDEX executions_due;
  `,
  // The queue and the leases as partial indexes: a finished execution (nearly all of them) is in
  // neither, a new one only in the queue's, and a status change moves an entry between the two
  // instead of rewriting both.
  `
  DROP INDEX executions_queue;
  DROP INDEX executions_running;
  CREATE INDEX executions_queue ON executions(user_id, next_attempt_at) WHERE status = 'queued';
  CREATE INDEX executions_running ON executions(lease_until) WHERE status = 'running';
  `,
  // Deleting a row cascades to the rows that refer to it: without an index on their key, both
  // databases scan the whole child table for each row deleted. Retention deleting 1,000
  // executions beside 20,000 error log entries took 1.9 s on SQLite, 8 ms with the index. Every
  // foreign key now leads an index (test/server/store/foreign-keys.test.ts).
  `
  CREATE INDEX errors_execution ON errors(execution_id);
  CREATE INDEX pending_installations_user ON pending_installations(user_id);
  CREATE INDEX oauth_states_user ON oauth_states(user_id);
  `,
  // The retention sweep finds what is old by index instead of reading every row, in each process,
  // every hour: on SQLite a sweep with nothing to delete read 1,000,000 executions in 130 ms, a
  // stall of every request meanwhile. Finished executions only (a partial index): its entry is
  // written when an execution finishes, not on the accept path, which stays as it was.
  `
  CREATE INDEX executions_finished ON executions(created_at) WHERE status IN ('succeeded', 'failed');
  CREATE INDEX errors_occurred ON errors(occurred_at);
  `,
  // OAuth requests that were started and never completed are deleted once expired, by the hourly
  // sweep, through an index (they piled up, and each callback read them all).
  `
  CREATE INDEX oauth_states_expires ON oauth_states(expires_at);
  `,
  // The error webhook's notices, kept with their error log entry until the ISV's endpoint took
  // them: when the next try is due (null once sent or given up), and how many tries were made.
  // A partial index: an entry is in it only while its notice is pending.
  `
  ALTER TABLE errors ADD COLUMN notice_at BIGINT;
  ALTER TABLE errors ADD COLUMN notice_tries INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX errors_notice ON errors(notice_at) WHERE notice_at IS NOT NULL;
  `,
  // Signing secrets of Stream Data destinations whose URL a user's setting (or any template)
  // chooses: one per installation and block, encrypted, so a delivery a user can read is never
  // signed with the ISV's own secret. The one it replaced signs too until previous_until.
  `
  CREATE TABLE destination_secrets (
    installation_id TEXT NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
    block_id TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_until BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (installation_id, block_id)
  );
  `,
  // Connections that stay healthy: the account's name from the connect-time test, the last error
  // and when, and the lease of a refresh under way (one process refreshes a credential at a time;
  // the others wait for its result). 'ok' becomes 'healthy'. A sign-in may reconnect an existing
  // credential (oauth_states.credential_id). The ISV's lifecycle webhooks: each message stored
  // before it is sent, with its stable id, its tries and the last answer; and the endpoint's
  // state (failing since, disabled).
  `
  ALTER TABLE credentials ADD COLUMN display_name TEXT;
  ALTER TABLE credentials ADD COLUMN last_error TEXT;
  ALTER TABLE credentials ADD COLUMN last_error_at BIGINT;
  ALTER TABLE credentials ADD COLUMN refresh_until BIGINT;
  UPDATE credentials SET status = 'healthy' WHERE status = 'ok';
  CREATE INDEX credentials_expiry ON credentials(expires_at) WHERE expires_at IS NOT NULL;
  ALTER TABLE oauth_states ADD COLUMN credential_id TEXT;
  CREATE TABLE webhook_messages (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at BIGINT,
    lease_until BIGINT,
    last_status INTEGER,
    last_error TEXT,
    last_attempt_at BIGINT
  );
  CREATE INDEX webhook_messages_due ON webhook_messages(next_at) WHERE next_at IS NOT NULL;
  CREATE INDEX webhook_messages_created ON webhook_messages(created_at);
  CREATE TABLE webhook_endpoints (
    url TEXT PRIMARY KEY,
    failing_since BIGINT,
    disabled_at BIGINT,
    updated_at BIGINT NOT NULL
  );
  `,
  // Re-runs and bulk replays (docs/replay.md). Each re-run of an execution is kept with the attempt
  // it starts at and whether it reuses the outputs of the blocks that succeeded before it ('failed')
  // or runs every block again ('start'): the engine reuses steps only from the latest 'start' on,
  // and the log marks the reused ones. A replay is a job over the failed executions its filter chose
  // when it was made (replay_executions), requeued in batches behind a cursor, by one process at a
  // time (its lease); at most one runs at once (the partial unique index). Failed executions are
  // found by when they failed through a partial index that holds only them.
  `
  CREATE TABLE execution_reruns (
    execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    mode TEXT NOT NULL,
    replay_id TEXT,
    requested_at BIGINT NOT NULL,
    PRIMARY KEY (execution_id, attempt)
  );
  CREATE INDEX executions_failed ON executions(finished_at) WHERE status = 'failed';
  CREATE TABLE replays (
    id TEXT PRIMARY KEY,
    filter_json TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    total INTEGER NOT NULL,
    requeued INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    after_execution TEXT,
    lease_owner TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
  );
  CREATE UNIQUE INDEX replays_one_running ON replays(status) WHERE status = 'running';
  CREATE TABLE replay_executions (
    replay_id TEXT NOT NULL REFERENCES replays(id) ON DELETE CASCADE,
    execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    PRIMARY KEY (replay_id, execution_id)
  );
  CREATE INDEX replay_executions_execution ON replay_executions(execution_id);
  `,
  // The schedule trigger: each active installation of a scheduled workflow has one row with its
  // next occurrence (and the cron and time zone it was planned from). A scheduler takes a due one by
  // moving due_at on, only from the value it read, in the transaction that records the occurrence's
  // event: two processes cannot both take it, and a process killed halfway leaves it due.
  `
  CREATE TABLE schedule_states (
    installation_id TEXT PRIMARY KEY REFERENCES installations(id) ON DELETE CASCADE,
    spec TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX schedule_states_due ON schedule_states(due_at);
  `,
  // A run a filter stopped ends 'skipped': finished, so the retention sweep's index holds it too.
  `
  DROP INDEX executions_finished;
  CREATE INDEX executions_finished ON executions(created_at) WHERE status IN ('succeeded', 'failed', 'skipped');
  `,
  // The poll trigger: each installation of a polling workflow has one row with what it polls
  // (spec), where the list goes on (checkpoint), when it is next due (null while paused), the lease
  // of the round in progress and the last error. poll_records remembers the version of each record
  // already emitted, written in the transaction that advances the checkpoint, and kept for as long
  // as the installation (not expired like events): a record is never emitted twice for one version.
  `
  CREATE TABLE poll_states (
    installation_id TEXT PRIMARY KEY REFERENCES installations(id) ON DELETE CASCADE,
    spec TEXT NOT NULL,
    checkpoint TEXT,
    due_at BIGINT,
    lease_owner TEXT,
    lease_until BIGINT,
    last_polled_at BIGINT,
    last_error TEXT,
    last_error_at BIGINT,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX poll_states_due ON poll_states(due_at) WHERE due_at IS NOT NULL;
  CREATE TABLE poll_records (
    installation_id TEXT NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    record_key TEXT NOT NULL,
    version TEXT NOT NULL,
    emitted_at BIGINT NOT NULL,
    PRIMARY KEY (installation_id, source, record_key)
  );
  `,
  // Fairness and limits (server/engine/throttle.ts): throttles holds, per key, the time the next
  // call may start (a connector's throttle: Slack, one message a second per channel) or until
  // which a connection is held after a 429 (its Retry-After); throttle_reservations, the later
  // turn an execution was given when it went back to the queue to wait for it, so it takes one
  // turn, not a new one each time it comes back. Per-user counts of running executions read
  // executions_running (the running rows with a valid lease are few: at most the workers' slots).
  `
  CREATE TABLE throttles (
    throttle_key TEXT PRIMARY KEY,
    free_at BIGINT NOT NULL
  );
  CREATE TABLE throttle_reservations (
    execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    step_id TEXT NOT NULL,
    throttle_key TEXT NOT NULL,
    slot_at BIGINT NOT NULL,
    PRIMARY KEY (execution_id, step_id)
  );
  `,
  // The app trigger's subscriptions at the apps (server/store/subscriptions.ts): per installation and
  // event, what is wanted (desired) and what the app has (remote_id), the secret its deliveries carry
  // (encrypted), the account used, and the retries of the runner that makes one match the other
  // (server/engine/subscriber.ts), under a lease. No foreign key to installations: an uninstalled
  // installation's row stays (retired) until its subscription is removed at the app. A deleted user's
  // go with it (their accounts, which could remove them, go too). revision counts the changes of
  // desired, so the runner's answer to an older one does not settle a newer one.
  `
  CREATE TABLE app_subscriptions (
    id TEXT PRIMARY KEY,
    installation_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    connector TEXT NOT NULL,
    event TEXT NOT NULL,
    credential_id TEXT,
    desired TEXT NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    remote_id TEXT,
    destination TEXT,
    secret TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at BIGINT,
    lease_until BIGINT,
    last_error TEXT,
    last_error_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE UNIQUE INDEX app_subscriptions_current ON app_subscriptions(installation_id, event) WHERE retired = 0;
  CREATE INDEX app_subscriptions_installation ON app_subscriptions(installation_id);
  CREATE INDEX app_subscriptions_user ON app_subscriptions(user_id);
  CREATE INDEX app_subscriptions_due ON app_subscriptions(next_at) WHERE next_at IS NOT NULL;
  `,
  // The ISV console (docs/console.md). Its sessions: the SHA-256 of the cookie's token (never the
  // token), the CSRF token the page sends back, and the expiry they are refused and swept by.
  // Its lists page newest first by keyset ((created_at, id) below the cursor's), so each filter
  // has an index that hands its rows in that order: all executions, by workflow, by user (also the
  // logs API's: a workflow and a user walk one, filtering the other), the failed ones (partial:
  // written when one fails). Every execution is written into one index more than before: the user
  // index gains the order's columns in place, and the workflow's replaces the workflow-and-user
  // one. Installations are counted per version from their workflow's index; the error webhook's
  // notices are listed from a partial index of the error log entries that had one, with the
  // outcome of their last try (written by the notifier; null on entries from before).
  `
  CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX console_sessions_expires ON console_sessions(expires_at);
  CREATE INDEX executions_created ON executions(created_at, id);
  CREATE INDEX executions_workflow_created ON executions(workflow_id, created_at, id);
  DROP INDEX executions_user;
  CREATE INDEX executions_user ON executions(user_id, created_at, id);
  DROP INDEX executions_workflow_user;
  CREATE INDEX executions_failed_created ON executions(created_at, id) WHERE status = 'failed';
  DROP INDEX installations_workflow;
  CREATE INDEX installations_workflow ON installations(workflow_id, version, id);
  ALTER TABLE errors ADD COLUMN notice_last_status INTEGER;
  ALTER TABLE errors ADD COLUMN notice_last_error TEXT;
  ALTER TABLE errors ADD COLUMN notice_last_at BIGINT;
  CREATE INDEX errors_notices ON errors(occurred_at, id) WHERE notice_at IS NOT NULL OR notice_tries > 0;
  DROP INDEX webhook_messages_created;
  CREATE INDEX webhook_messages_created ON webhook_messages(created_at, id);
  `,
  // The id of the request that recorded an event (X-Request-Id, given or made: server/observability/),
  // so that an execution's log leads to the request's log lines. Null for events no request made
  // (schedules, polls) and for those from before.
  `
  ALTER TABLE events ADD COLUMN request_id TEXT;
  `,
  // The queue's index in the order a claim takes a user's executions (next_attempt_at, then id):
  // without the id, PostgreSQL read and sorted the user's whole backlog on every claim (30 ms with
  // 4,000 queued, most of a flat-out delivery's database time); with it, a claim reads what it takes.
  `
  DROP INDEX executions_queue;
  CREATE INDEX executions_queue ON executions(user_id, next_attempt_at, id) WHERE status = 'queued';
  `,
];

/** The schema version this code needs: the number of its migrations (each one's version is its place). */
export const SCHEMA_VERSION = migrations.length;

/** The last migration applied to the store (0 for none): /health/ready compares it with SCHEMA_VERSION. */
export async function appliedSchemaVersion(db: Db): Promise<number> {
  const row = await db.get<{ version: number | string | null }>('SELECT MAX(version) AS version FROM schema_migrations');
  return Number(row?.version ?? 0);
}

/**
 * Brings the schema up to date in one transaction. On PostgreSQL several processes may start at
 * once: a transaction-scoped advisory lock makes one migrate while the others wait, then see it done.
 */
export async function migrate(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(727001)');
    await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const rows = await tx.all<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => Number(r.version)));
    for (const [index, script] of migrations.entries()) {
      const version = index + 1;
      if (done.has(version)) continue;
      for (const statement of script
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean))
        await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [version, Date.now()]);
    }
  });
}

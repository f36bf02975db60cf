import path from 'node:path';
import type { Db } from './db';
import { migrate } from './migrations';
import { SqliteDb } from './sqlite';
import { PostgresDb } from './postgres';
import { Users } from './users';
import { Keys } from './keys';
import { Versions } from './versions';
import { Credentials } from './credentials';
import { DestinationSecrets } from './destination-secrets';
import { Installations, PendingInstallations } from './installations';
import { Events } from './events';
import { Logs } from './logs';
import { Executions } from './executions';
import { Replays } from './replays';
import { Schedules } from './schedules';
import { Polls } from './polls';
import { WebhookMessages } from './webhook-messages';
import { Subscriptions } from './subscriptions';
import { Throttles } from './throttles';

/** The store: one set of repositories over one `Db`, whichever database that is. */
export interface Store {
  db: Db;
  users: Users;
  keys: Keys;
  versions: Versions;
  credentials: Credentials;
  destinationSecrets: DestinationSecrets;
  installations: Installations;
  pending: PendingInstallations;
  events: Events;
  logs: Logs;
  executions: Executions;
  replays: Replays;
  schedules: Schedules;
  polls: Polls;
  webhookMessages: WebhookMessages;
  subscriptions: Subscriptions;
  throttles: Throttles;
  close(): Promise<void>;
}

export type StoreOptions =
  { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema?: string; maxConnections?: number; connectTimeoutMs?: number; queryTimeoutMs?: number };

/** Opens the store and migrates its schema. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const db: Db =
    options.kind === 'sqlite'
      ? new SqliteDb(options.file)
      : new PostgresDb(options.url, {
          schema: options.schema,
          max: options.maxConnections,
          connectTimeoutMs: options.connectTimeoutMs,
          queryTimeoutMs: options.queryTimeoutMs,
        });
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const events = new Events(db);
  return {
    db,
    users: new Users(db),
    keys: new Keys(db),
    versions: new Versions(db),
    credentials: new Credentials(db),
    destinationSecrets: new DestinationSecrets(db),
    installations: new Installations(db),
    pending: new PendingInstallations(db),
    events,
    logs: new Logs(db),
    executions: new Executions(db),
    replays: new Replays(db),
    schedules: new Schedules(db),
    polls: new Polls(db),
    webhookMessages: new WebhookMessages(db),
    subscriptions: new Subscriptions(db),
    throttles: new Throttles(db),
    // Events handed to the group commit are answered only once committed: finish them first.
    close: async () => {
      await events.drain();
      await db.close();
    },
  };
}

/** The store the configuration asks for: PostgreSQL when `DATABASE_URL` is set, else SQLite in `DATA_DIR`. */
export function storeOptionsFor(config: { databaseUrl?: string; dataDir: string; databaseConnectTimeoutMs?: number; databaseQueryTimeoutMs?: number }): StoreOptions {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl, connectTimeoutMs: config.databaseConnectTimeoutMs, queryTimeoutMs: config.databaseQueryTimeoutMs }
    : { kind: 'sqlite', file: path.join(config.dataDir, 'alloy.sqlite') };
}

import { createHash } from 'node:crypto';
import type { Db, SqlExecutor } from './db';
import type { IntegrationDefinition, WorkflowDefinition } from '../definitions/schema';
import { triggerModule } from '../triggers';

export interface ReleasedVersion {
  workflowId: string;
  version: number;
  integrationId: string;
  releasedAt: string;
  definition: WorkflowDefinition;
}

interface VersionRow {
  workflow_id: string;
  version: number;
  integration_id: string;
  definition: string;
  hash: string;
  released_at: number;
}

/** JSON with sorted keys, so the hash of a definition does not depend on key order in the file. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const toVersion = (r: VersionRow): ReleasedVersion => ({
  workflowId: r.workflow_id,
  version: Number(r.version),
  integrationId: r.integration_id,
  releasedAt: new Date(Number(r.released_at)).toISOString(),
  definition: JSON.parse(r.definition) as WorkflowDefinition,
});

/**
 * Released workflow versions. A version is immutable once released: installations stay on theirs
 * until upgraded, so the engine runs the definition stored here, not the file of today.
 */
export class Versions {
  private readonly cache = new Map<string, ReleasedVersion>();

  constructor(private readonly db: Db) {}

  /** Releases every workflow version of the files not released yet; refuses a changed released one. */
  async release(integrations: readonly IntegrationDefinition[]): Promise<{ released: string[] }> {
    const released: string[] = [];
    for (const integration of integrations) {
      for (const workflow of integration.workflows) {
        const json = canonicalJson(workflow);
        const hash = createHash('sha256').update(json).digest('hex');
        const existing = await this.db.get<VersionRow>('SELECT * FROM workflow_versions WHERE workflow_id = ? AND version = ?', [workflow.id, workflow.version]);
        if (existing && existing.hash !== hash) {
          throw new Error(
            `Workflow "${workflow.id}" version ${workflow.version} is already released with a different definition. ` +
              `Released versions are immutable: raise "version" to release the change.`,
          );
        }
        if (!existing) {
          // trigger_key: what an event must be called to start this version (its trigger module's
          // key). Routing joins on it, in SQL, in the transaction that records the event.
          await this.db.run(
            `INSERT INTO workflow_versions (workflow_id, version, integration_id, definition, hash, trigger_key, released_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workflow_id, version) DO NOTHING`,
            [workflow.id, workflow.version, integration.id, json, hash, triggerModule(workflow.trigger.type).key(workflow.trigger), Date.now()],
          );
          released.push(`${workflow.id}@${workflow.version}`);
        }
      }
    }
    return { released };
  }

  /** One released version (cached: released versions never change); read through `executor` inside a transaction. */
  async get(workflowId: string, version: number, executor: SqlExecutor = this.db): Promise<ReleasedVersion | undefined> {
    const key = `${workflowId}@${version}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const row = await executor.get<VersionRow>('SELECT * FROM workflow_versions WHERE workflow_id = ? AND version = ?', [workflowId, version]);
    if (!row) return undefined;
    const value = toVersion(row);
    this.cache.set(key, value);
    return value;
  }

  /** Every released version of every workflow. */
  async all(): Promise<ReleasedVersion[]> {
    const rows = await this.db.all<VersionRow>('SELECT * FROM workflow_versions ORDER BY workflow_id, version');
    return rows.map(toVersion);
  }

  async list(workflowId: string): Promise<ReleasedVersion[]> {
    const rows = await this.db.all<VersionRow>('SELECT * FROM workflow_versions WHERE workflow_id = ? ORDER BY version', [workflowId]);
    return rows.map(toVersion);
  }
}

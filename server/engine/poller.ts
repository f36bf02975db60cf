import { createHash } from 'node:crypto';
import { findConnector } from '../connectors';
import { ListPageSchema, type OptionContext } from '../connectors/types';
import { isStoreUnavailable } from '../errors';
import { newId } from '../ids';
import type { TakenPoll } from '../store/polls';
import { directEventName, type TriggerRunnerDeps } from '../triggers/types';
import { NonRetriableError, RetryAfterError } from './errors';
import { CREDENTIAL_DELETED } from './executor';
import { usableCredential } from './oauth';
import { redact } from './redact';
import { RoundLoop } from './round-loop';
import { logger } from '../observability/log';

/** Polls taken per query; a full batch makes it look again at once. */
const BATCH = 50;
/** Rounds run at once by one poller: a slow app does not hold up the others' rounds. */
const AT_ONCE = 4;
/** How long a round is held past its last page, by the engine's clock: a process killed mid-round holds it no longer. */
export const POLL_LEASE_MS = 5 * 60_000;
/** Pages one round reads before letting go (it stays due and goes on at once): one long list does not hold a slot for ever. */
const PAGES_PER_ROUND = 100;
const MAX_ERROR_CHARS = 2000;

/** The next round after one due at `dueAt`: on the interval's cadence, the first beat after `now` (beats missed while down are not made up). */
export function nextDue(dueAt: number, intervalMs: number, now: number): number {
  return dueAt + intervalMs * (Math.max(0, Math.floor((now - dueAt) / intervalMs)) + 1);
}

/** The idempotency key of a record version's event: one per installation, record and version, and of a bounded length whatever the key's. */
const emissionKey = (installationId: string, source: string, key: string, version: string) =>
  `poll:${installationId}:${createHash('sha256')
    .update(JSON.stringify([source, key, version]))
    .digest('base64url')}`;

/**
 * The poll trigger's runner, beside each worker: it takes the polls that are due
 * (server/store/polls.ts) under a lease, reads the list source page by page with the installation's
 * account, and commits each page's runs with the checkpoint after it, in one transaction, so a process
 * killed mid-round reads again only the page it had not committed. A record already emitted at that
 * version (poll_records) is not emitted again. A failed round (the app down, a 429) is recorded on the
 * poll, whose checkpoint stays, and tried again at the next interval (or later, if the app's
 * Retry-After says so). Its clock is `deps.now`, so tests drive it instead of waiting.
 */
export class Poller extends RoundLoop {
  private readonly owner = `poller-${newId()}`;

  constructor(deps: TriggerRunnerDeps) {
    super(deps, 'poller', 'polls');
  }

  // stop(): a round under way lets go after the page it is reading, and another process goes on from there.
  protected async round(): Promise<void> {
    for (;;) {
      const due = await this.deps.store.polls.due(this.deps.now(), BATCH);
      const queue = [...due];
      const lane = async () => {
        for (let id = queue.shift(); id !== undefined && !this.stopping; id = queue.shift()) await this.pollOne(id);
      };
      // Every lane ends before the round does, even when one meets a store failure.
      const lanes = await Promise.allSettled(Array.from({ length: AT_ONCE }, lane));
      for (const lane of lanes) if (lane.status === 'rejected') throw lane.reason;
      if (due.length < BATCH || this.stopping) break;
    }
  }

  private async pollOne(installationId: string): Promise<void> {
    const { store, now } = this.deps;
    const at = now();
    const taken = await store.polls.take(installationId, this.owner, at, at + POLL_LEASE_MS);
    if (!taken) return; // another process took it, or it is no longer due
    const secrets: string[] = [];
    try {
      await this.read(taken, secrets);
    } catch (err) {
      if (isStoreUnavailable(err)) throw err;
      const failedAt = now();
      const message = (redact(err instanceof Error ? err.message : String(err), secrets) as string).slice(0, MAX_ERROR_CHARS);
      const retryAfter = err instanceof RetryAfterError ? (err.retryAfterMs ?? 0) : 0;
      const dueAt = Math.max(nextDue(taken.dueAt, taken.spec.intervalSeconds * 1000, failedAt), failedAt + retryAfter);
      if (await store.polls.fail(taken, message, failedAt, dueAt)) {
        const { workflowId, userId, spec } = taken;
        logger.warn(`poller: "${workflowId}" of user ${userId} could not read ${spec.connector}.${spec.source} (${message}); trying again at ${new Date(dueAt).toISOString()}`);
      }
    }
  }

  /** Reads a taken round's pages and commits each; throws what the app or the source said. */
  private async read(taken: TakenPoll, secrets: string[]): Promise<void> {
    const { store, now, apps } = this.deps;
    const { spec, installationId } = taken;
    const connector = findConnector(spec.connector);
    const source = connector?.listSources && Object.hasOwn(connector.listSources, spec.source) ? connector.listSources[spec.source] : undefined;
    if (!connector || !source) throw new NonRetriableError(`no list source "${spec.source}" in connector "${spec.connector}"`);
    const params = source.params ? source.params.parse(spec.params) : {};
    const credentialId = taken.credentialIds[0];
    const credential = credentialId ? await usableCredential(apps, taken.userId, credentialId) : undefined;
    if (credentialId && !credential) throw new NonRetriableError(CREDENTIAL_DELETED);
    for (const value of Object.values(credential?.data ?? {})) if (typeof value === 'string') secrets.push(value);
    const ctx: OptionContext = { http: apps.http, settings: apps.settings, credential: credential?.app === connector.id ? credential.data : undefined };
    const sourceId = `${connector.id}.${spec.source}`;
    const name = directEventName('poll', taken.workflowId);

    let checkpoint = taken.checkpoint;
    for (let pages = 1; ; pages++) {
      const answered = ListPageSchema.safeParse(await source.list(ctx, checkpoint, params));
      if (!answered.success) {
        const issue = answered.error.issues[0]!;
        throw new NonRetriableError(`${connector.name}'s list source "${spec.source}" answered no page: ${issue.path.join('.') || '(page)'}: ${issue.message}`);
      }
      const page = answered.data;
      // A source that says there is more but does not move on would be read for ever.
      if (page.hasMore && page.checkpoint === checkpoint)
        throw new NonRetriableError(`${connector.name}'s list source "${spec.source}" said more pages follow but its checkpoint did not move on`);
      const emissions = page.records.map(({ key, version, data }) => ({
        source: sourceId,
        key,
        version,
        name,
        data: { source: sourceId, key, version, record: data },
        idempotencyKey: emissionKey(installationId, sourceId, key, version),
      }));
      const at = now();
      const next = page.hasMore ? { leaseUntil: at + POLL_LEASE_MS } : { dueAt: nextDue(taken.dueAt, spec.intervalSeconds * 1000, at), now: at };
      const outcome = await store.polls.commitPage(taken, emissions, page.checkpoint, next);
      if (typeof outcome === 'string') return; // another process holds the round now, or the installation was paused
      if (outcome.emitted > 0) this.deps.wake();
      if (!page.hasMore) return;
      checkpoint = page.checkpoint;
      if (pages >= PAGES_PER_ROUND || this.stopping) return store.polls.release(taken);
    }
  }
}

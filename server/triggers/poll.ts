import { z } from 'zod';
import { findConnector, listConnectors } from '../connectors';
import { Poller } from '../engine/poller';
import type { Installation } from '../store/installations';
import { defineTrigger, type TriggerHookContext } from './types';

const Name = z.string().min(1, 'must not be empty');

/** The interval's bounds, in seconds: a minute at least (an app's rate limit is shared by every installation), a day at most. */
export const POLL_INTERVAL = { min: 60, max: 86_400, default: 300 };

const schema = z
  .strictObject({
    type: z.literal('poll'),
    /** The connector whose list source is read, with the installation's account: the integration's own. */
    connector: Name,
    /** The list source, by name (`invoices`): server/connectors/types.ts `ListSource`. */
    source: Name,
    intervalSeconds: z
      .int(`expected a whole number of seconds`)
      .min(POLL_INTERVAL.min, `must be at least ${POLL_INTERVAL.min} seconds`)
      .max(POLL_INTERVAL.max, `must be at most ${POLL_INTERVAL.max} seconds (a day)`)
      .default(POLL_INTERVAL.default),
    /** What the list source takes (its `params` schema); its defaults are applied. */
    params: z.record(z.string(), z.unknown()).default({}),
  })
  // A typo in a connector, a source or a parameter stops the start, naming where, instead of failing every round later.
  .superRefine((trigger, ctx) => {
    const connector = findConnector(trigger.connector);
    if (!connector) {
      const known = listConnectors().map((c) => c.id);
      return ctx.addIssue({ code: 'custom', path: ['connector'], message: `no connector "${trigger.connector}" (known: ${known.join(', ')})` });
    }
    const sources = Object.keys(connector.listSources ?? {});
    const source = sources.includes(trigger.source) ? connector.listSources![trigger.source]! : undefined;
    if (!source) {
      const has = sources.length ? `it has: ${sources.join(', ')}` : 'it has none';
      return ctx.addIssue({ code: 'custom', path: ['source'], message: `${connector.name} has no list source "${trigger.source}" (${has})` });
    }
    const params = (source.params ?? z.strictObject({})).safeParse(trigger.params);
    for (const issue of params.error?.issues ?? []) ctx.addIssue({ code: 'custom', path: ['params', ...(issue.path as PropertyKey[])], message: issue.message });
  });

type PollTrigger = z.output<typeof schema>;
/** What an installation polls, as its poll row keeps it (server/store/polls.ts). */
export type PollSpec = Omit<PollTrigger, 'type'>;

const specOf = ({ connector, source, params, intervalSeconds }: PollTrigger): PollSpec => ({ connector, source, params, intervalSeconds });

// Each installation has a row with its checkpoint and when it is next due (server/store/polls.ts);
// the poller beside each worker takes the due ones (server/engine/poller.ts). A paused installation
// keeps its checkpoint and goes on from it when resumed.
const plan = ({ tx, store, now }: TriggerHookContext, installation: Installation, trigger: PollTrigger) =>
  store.polls.plan(installation.installationId, specOf(trigger), installation.active, now, tx);

async function resume(ctx: TriggerHookContext, installation: Installation, trigger: PollTrigger) {
  await plan(ctx, installation, trigger);
  await ctx.store.polls.resume(installation.installationId, ctx.now, ctx.tx);
}

/**
 * Reads a connector's list source every `intervalSeconds` for each active installation, with its
 * account, and starts one run per record that is new or changed since the last round (a new
 * version), never twice for one version, whatever the number of processes or crashes. The event's
 * data: `{ source: "<connector>.<source>", key, version, record }`.
 * @example { "type": "poll", "connector": "netsuite", "source": "invoices", "intervalSeconds": 300, "params": { "since": "2024-01-01" } }
 */
export const pollTrigger = defineTrigger({
  type: 'poll',
  schema,
  key: () => null,
  needsUrl: false,
  account: (trigger) => trigger.connector,
  view(trigger) {
    const app = findConnector(trigger.connector);
    const label = app?.listSources?.[trigger.source]?.label ?? trigger.source;
    return { block: { name: `${app?.name ?? trigger.connector}: ${label}`, type: 'poll', icon: app?.icon ?? '/icons/app-event.svg' }, summary: { type: 'poll' } };
  },
  installed: plan,
  activated: resume,
  deactivated: ({ tx, store, now }, installation) => store.polls.pause(installation.installationId, now, tx),
  uninstalled: ({ tx, store }, installation) => store.polls.remove(installation.installationId, tx),
  runner: (deps) => new Poller(deps),
});

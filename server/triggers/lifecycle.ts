import type { Store } from '../store';
import type { SqlExecutor } from '../store/db';
import type { Installation, InstallationChange } from '../store/installations';
import { triggerModule, type Trigger } from './index';
import type { TriggerHookContext } from './types';

/**
 * The trigger modules' lifecycle hooks, told of every change to installations in the transaction
 * that makes it (the engine registers this with the store: server/engine/index.ts). For one
 * installation, before and after the change:
 * - new: `installed`, then `activated` if it is active;
 * - deleted: `deactivated` if it was active, then `uninstalled`;
 * - moved to a version with another trigger type: the old type's `deactivated` (if it was active)
 *   and `uninstalled`, then the new type's `installed` and `activated` (if it is active);
 * - otherwise (reinstalled, reconfigured, upgraded, paused or resumed): `installed` when anything
 *   but `active` changed, then `activated` or `deactivated` when `active` did.
 */
export function triggerHooks(store: Store, now: () => number) {
  return async (tx: SqlExecutor, changes: readonly InstallationChange[]): Promise<void> => {
    const ctx: TriggerHookContext = { tx, store, now: now() };
    const triggerOf = async (installation: Installation): Promise<Trigger | undefined> =>
      (await store.versions.get(installation.workflowId, installation.version, tx))?.definition.trigger;
    for (const { before, after } of changes) {
      const was = before && (await triggerOf(before));
      const is = after && (await triggerOf(after));
      if (was && (!is || was.type !== is.type)) {
        const module = triggerModule(was.type);
        if (before!.active) await module.deactivated?.(ctx, before!, was);
        await module.uninstalled?.(ctx, before!, was);
      }
      if (!is) continue;
      const module = triggerModule(is.type);
      const fresh = !was || was.type !== is.type;
      if (fresh || changedBesidesActive(before!, after!)) await module.installed?.(ctx, after!, is);
      if (after!.active && (fresh || !before!.active)) await module.activated?.(ctx, after!, is);
      if (!fresh && before!.active && !after!.active) await module.deactivated?.(ctx, after!, is);
    }
  };
}

const changedBesidesActive = (a: Installation, b: Installation) =>
  a.version !== b.version || JSON.stringify(a.config) !== JSON.stringify(b.config) || JSON.stringify(a.credentialIds) !== JSON.stringify(b.credentialIds);

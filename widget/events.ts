/** What `Alloy.subscribe` reports, so any framework can keep its state in step with the user's installations. */
export type AlloyEventName = 'installed' | 'uninstalled' | 'updated' | 'credential';

export interface AlloyEvent {
  type: AlloyEventName;
  integrationId?: string;
  installationIds?: string[];
  workflowIds?: string[];
  credentialId?: string;
}

export type AlloyListener = (event: AlloyEvent) => void;

const listeners = new Set<[AlloyEventName | '*', AlloyListener]>();

/**
 * Calls `listener` on each change of that kind (`'*'`: every kind) made through the widget: an
 * install, a reconfiguration, a pause or resume, an uninstall, an account connected or removed.
 * Returns a function that unsubscribes.
 * @example const off = Alloy.subscribe('installed', (e) => refresh(e.integrationId))
 */
export function subscribe(event: AlloyEventName | '*', listener: AlloyListener): () => void {
  if (typeof listener !== 'function') throw new TypeError('Alloy.subscribe: expected a function');
  const entry: [AlloyEventName | '*', AlloyListener] = [event, listener];
  listeners.add(entry);
  return () => void listeners.delete(entry);
}

/** Tells the listeners, each in its own microtask: one that throws (reported as uncaught) does not keep the others from hearing. */
export function emit(event: AlloyEvent): void {
  for (const [name, listener] of listeners) if (name === '*' || name === event.type) queueMicrotask(() => listener(event));
}

import { useEffect, useState } from 'preact/hooks';

/** A value the UI shows: setting a different one tells the group's watchers. */
export interface Cell<T> {
  value: T;
}

/**
 * A group of cells with one set of watchers: the few hundred bytes the install model needs
 * instead of a signals library (2.7 KB gzip). A component re-renders on any change of the group
 * with `useCells`; code reacts with `watch`.
 */
export function cells() {
  const watchers = new Set<() => void>();
  return {
    cell<T>(initial: T): Cell<T> {
      let current = initial;
      return {
        get value() {
          return current;
        },
        set value(next: T) {
          if (next === current) return;
          current = next;
          for (const w of [...watchers]) w();
        },
      };
    },
    /** Calls `watcher` after each change; returns a function that stops it. */
    watch(watcher: () => void): () => void {
      watchers.add(watcher);
      return () => void watchers.delete(watcher);
    },
  };
}

/** Re-renders the component on each change of the group (Preact batches the renders). */
export function useCells(group: { watch(watcher: () => void): () => void }): void {
  const [, bump] = useState(0);
  useEffect(() => group.watch(() => bump((n) => n + 1)), [group]);
}

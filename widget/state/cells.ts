/** A value the UI shows: setting a different one tells the group's watchers. */
export interface Cell<T> {
  value: T;
}

/**
 * A group of cells with one set of watchers: the few hundred bytes the install model needs
 * instead of a signals library (2.7 KB gzip). Code (and the modal, to re-render) reacts to any
 * change of the group with `watch`.
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

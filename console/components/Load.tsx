import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ConsoleError } from '../api';

export type Loaded<T> = { data?: T; error?: Error; loading: boolean };

/**
 * Loads with `load` whenever `deps` change (other data: the page shows it loading), and again on
 * `reload()` (the same data, fresher: the last answer stays while it runs, so a refresh does not
 * blank the page). An answer to an older load is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> & { reload(): Promise<void> } {
  const [state, setState] = useState<Loaded<T>>({ loading: true });
  const latest = useRef(0);
  const run = useCallback(async (keep = true) => {
    const mine = ++latest.current;
    setState((s) => (keep ? { ...s, loading: true } : { loading: true }));
    try {
      const data = await load();
      if (mine === latest.current) setState({ data, loading: false });
    } catch (err) {
      if (mine === latest.current) setState((s) => ({ ...s, error: err as Error, loading: false }));
    }
    // Its inputs are `deps`, as the caller lists them.
  }, deps);
  useEffect(() => {
    void run(false);
  }, [run]);
  return { ...state, reload: () => run(true) };
}

export const errorText = (err: Error) => (err instanceof ConsoleError && err.status === 404 ? `Not found: ${err.message}` : err.message);

/** What a page shows before its data: loading, or why it failed with a retry. */
export function Pending({ state, what }: { state: Loaded<unknown> & { reload(): Promise<void> }; what: string }) {
  if (state.error && !state.data)
    return (
      <div class="alert" role="alert">
        <p>
          Could not load {what}: {errorText(state.error)}
        </p>
        <button type="button" onClick={() => void state.reload()}>
          Try again
        </button>
      </div>
    );
  return (
    <p class="muted" aria-busy="true">
      Loading {what}…
    </p>
  );
}

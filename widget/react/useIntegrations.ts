import { useCallback, useContext, useEffect, useSyncExternalStore } from 'react';
import type { Integration } from '../types';
import { AlloyContext } from './context';
import { ensure, get, initial, load, subscribe } from './store';

export interface UseIntegrationsResult {
  /** The user's integrations (`getIntegrations()`), once loaded; kept while a refresh is under way. */
  data: Integration[] | undefined;
  /** A load is under way. */
  loading: boolean;
  /** Why the last load failed: an `AlloyError` (`no_token`, `network`, …). */
  error: Error | undefined;
  /** Loads the list again; resolves once it is here (or has failed, see `error`). */
  refresh: () => Promise<void>;
}

/**
 * The user's integrations as React state. Loaded once for the whole page (every component using it
 * shares one list and one request), and again by itself after each install, uninstall, update or
 * account change made through the widget (`Alloy.subscribe`): the modal, `<Integrations>`,
 * `<InstallButton>` or the API. A new token or base URL in `<AlloyProvider>` loads the new user's.
 * @example const { data, loading, error, refresh } = useIntegrations()
 */
export function useIntegrations(): UseIntegrationsResult {
  const { session } = useContext(AlloyContext);
  const snapshot = useSyncExternalStore(subscribe, get, () => initial);
  useEffect(() => ensure(session), [session]);
  const refresh = useCallback(() => load(session), [session]);
  // Another session's list (the user changed) is never shown.
  const current = 'session' in snapshot && snapshot.session !== session ? initial : snapshot;
  return { data: current.data, loading: current.loading, error: current.error, refresh };
}

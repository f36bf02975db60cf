/** @jsxImportSource react */
import { useMemo, useRef, type ReactElement, type ReactNode } from 'react';
import type { AlloyApi, TokenProvider } from '../types';
import { alloy } from './api';
import { AlloyContext } from './context';

export interface AlloyProviderProps {
  /** The user token your backend got from `GET /users/:userId/token`. */
  token?: string;
  /** Called for a fresh token when the current one expires (or the server says 401); may be a new function each render. */
  tokenProvider?: TokenProvider;
  /** The server, e.g. `https://integrations.acme.com` (the UI is fetched from `<baseUrl>/widget/alloy-ui.js`). */
  baseUrl?: string;
  children?: ReactNode;
}

/** Each configuration the providers applied, counted: the session's number. */
let sessions = 0;

/**
 * Gives the widget its server and the user's token (`setBaseUrl`, `setToken`, `setTokenProvider`)
 * for everything inside. They are applied while rendering, before any child's effect runs (a child's
 * effects run before its parent's), and again only when they change; a new token or base URL makes
 * `useIntegrations` and `<Integrations>` load again. Nothing is applied when rendered on a server.
 * A page has one user: the session is the loader's, shared by every provider and every `Alloy` call.
 */
export function AlloyProvider({ token, tokenProvider, baseUrl, children }: AlloyProviderProps): ReactElement {
  // The provider is called through a ref: a new function each render changes nothing.
  const provider = useRef(tokenProvider);
  provider.current = tokenProvider;
  const applied = useRef<{ token?: string; baseUrl?: string; provider: boolean; session: number }>(undefined);
  const last = applied.current;
  const hasProvider = tokenProvider !== undefined;
  let session = last?.session ?? 0;
  if (typeof window !== 'undefined' && (!last || last.token !== token || last.baseUrl !== baseUrl || last.provider !== hasProvider)) {
    if (baseUrl && baseUrl !== last?.baseUrl) alloy.setBaseUrl(baseUrl);
    if (hasProvider !== (last?.provider ?? false)) alloy.setTokenProvider(hasProvider ? () => provider.current!() : undefined);
    if (token && token !== last?.token) alloy.setToken(token);
    session = ++sessions;
    applied.current = { token, baseUrl, provider: hasProvider, session };
  }
  const value = useMemo(() => ({ session }), [session]);
  return <AlloyContext.Provider value={value}>{children}</AlloyContext.Provider>;
}

/**
 * The widget's API, as `window.Alloy` (every method, and callable as Alloy's factory):
 * `const { install, uninstall } = useAlloy()`. Works with or without `<AlloyProvider>`.
 */
export function useAlloy(): AlloyApi {
  return alloy;
}

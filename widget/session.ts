import { AlloyError } from './errors';

type TokenProvider = () => Promise<string> | string;

// The script's own address: `<script src="https://kit.acme.com/widget/alloy.js">`. Read now, while
// the script runs: `document.currentScript` is null afterwards (and for modules).
const script = typeof document !== 'undefined' ? (document.currentScript as HTMLScriptElement | null) : null;

const state = {
  token: '',
  /** The token's subject: the user its calls and queued events belong to. */
  user: '',
  expiresAt: 0,
  provider: undefined as TokenProvider | undefined,
  // The script's origin is the default server; a module (the npm package) is told with setBaseUrl.
  baseUrl: script?.src ? new URL(script.src).origin : typeof location !== 'undefined' ? location.origin : '',
  // Alloy's regions: `<script … data-region-eu="https://eu.kit.acme.com">`, or setRegion(name, url).
  regions: {} as Record<string, string>,
};

/** A `data-*` attribute of the script tag: `data-region-<name>`, `data-preload`. */
export const scriptData = (name: string) => script?.getAttribute(`data-${name}`);

/** Seconds before expiry at which a token counts as expired, so no request leaves with one about to lapse. */
const MARGIN_MS = 10_000;

const BAD_TOKEN = 'Alloy.setToken: expected a user token (JWT)';
/** The message of every `no_token` error. */
export const NO_TOKEN = 'Call Alloy.setToken(token) first';

function claimsOf(token: string): { sub?: string; exp?: number } {
  try {
    if (typeof token !== 'string') throw 0;
    return JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    throw new TypeError(BAD_TOKEN);
  }
}

export function setToken(token: string): void {
  const { sub, exp } = claimsOf(token);
  state.expiresAt = exp ? exp * 1000 : Infinity;
  state.user = sub ?? '';
  state.token = token;
}

export function setTokenProvider(provider: TokenProvider | undefined): void {
  if (provider !== undefined && typeof provider !== 'function') throw new TypeError('Alloy.setTokenProvider: expected a function');
  state.provider = provider;
}

export function setBaseUrl(url: string): void {
  state.baseUrl = new URL(url).origin;
}

/**
 * Alloy's `setRegion('us' | 'eu')`: a region names a base URL, given on the script tag
 * (`data-region-eu="https://eu.kit.acme.com"`) or here once (`setRegion('eu', url)`). A region
 * never given is a mistake, reported at once.
 */
export function setRegion(region: string, url?: string): void {
  if (url) state.regions[region] = url;
  const base = state.regions[region] ?? scriptData(`region-${region}`);
  if (!base) throw new TypeError(`Alloy.setRegion: no URL for "${region}" (data-region-${region} on the script tag)`);
  setBaseUrl(base);
}

export const baseUrl = () => state.baseUrl;
export const hasToken = () => Boolean(state.token || state.provider);
/** The user of the token set last (its `sub`): '' before any. */
export const currentUser = () => state.user;

/** Where the UI bundle is: beside this script, else at the server. */
export const uiUrl = () => (script?.src ? new URL('alloy-ui.js', script.src).href : `${state.baseUrl}/widget/alloy-ui.js`);

/** The provider's answer while it is awaited: calls made meanwhile share it. */
let fresh: Promise<void> | undefined;

/** A token good for the next request: the current one, or a fresh one from the provider (asked once at a time). */
export async function currentToken(forceFresh = false): Promise<string> {
  if (!state.token && !state.provider) throw new AlloyError('no_token', NO_TOKEN);
  if (!forceFresh && state.token && state.expiresAt - MARGIN_MS > Date.now()) return state.token;
  if (!state.provider) throw new AlloyError('token_expired', 'The user token has expired');
  await (fresh ??= (async () => setToken(await state.provider!()))().finally(() => (fresh = undefined)));
  return state.token;
}

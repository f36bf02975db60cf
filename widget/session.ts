import { AlloyError } from './errors';

type TokenProvider = () => Promise<string> | string;

// The script's own origin is the default server: `<script src="https://kit.acme.com/widget/alloy.js">`.
const script = typeof document !== 'undefined' ? (document.currentScript as HTMLScriptElement | null) : null;

const state = {
  token: '',
  expiresAt: 0,
  provider: undefined as TokenProvider | undefined,
  baseUrl: script?.src ? new URL(script.src).origin : typeof location !== 'undefined' ? location.origin : '',
  regions: {} as Record<string, string>,
};

/** Seconds before expiry at which a token counts as expired, so no request leaves with one about to lapse. */
const MARGIN_MS = 10_000;

function expiryOf(token: string): number {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number };
    return payload.exp ? payload.exp * 1000 : Infinity;
  } catch {
    throw new TypeError('Alloy.setToken: expected the JWT your backend got from GET /users/:userId/token');
  }
}

export function setToken(token: string): void {
  if (typeof token !== 'string' || !token) throw new TypeError('Alloy.setToken: expected a token string');
  state.expiresAt = expiryOf(token);
  state.token = token;
}

export function setTokenProvider(provider: TokenProvider | undefined): void {
  if (provider !== undefined && typeof provider !== 'function') throw new TypeError('Alloy.setTokenProvider: expected a function returning a token');
  state.provider = provider;
}

export function setBaseUrl(url: string): void {
  state.baseUrl = new URL(url).origin;
}

/** Alloy's regions, kept for compatibility: a region maps to a base URL given once with `setRegion(name, url)`. */
export function setRegion(region: string, url?: string): void {
  if (url) state.regions[region] = url;
  if (state.regions[region]) setBaseUrl(state.regions[region]!);
}

export const baseUrl = () => state.baseUrl;
export const hasToken = () => Boolean(state.token || state.provider);

/** The provider's answer while it is awaited: calls made meanwhile share it. */
let fresh: Promise<void> | undefined;

/** A token good for the next request: the current one, or a fresh one from the provider (asked once at a time). */
export async function currentToken(forceFresh = false): Promise<string> {
  if (!state.token && !state.provider) throw new AlloyError('no_token', 'Call Alloy.setToken(token) first');
  if (!forceFresh && state.token && state.expiresAt - MARGIN_MS > Date.now()) return state.token;
  if (!state.provider) throw new AlloyError('token_expired', 'The user token has expired: set a new one with Alloy.setToken, or give Alloy.setTokenProvider');
  await (fresh ??= (async () => setToken(await state.provider!()))().finally(() => (fresh = undefined)));
  return state.token;
}

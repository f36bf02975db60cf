/** What went wrong, as a string callers can `switch` on. */
export type AlloyErrorCode =
  | 'no_token'
  | 'token_expired'
  | 'network'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'invalid_request'
  | 'conflict'
  | 'rate_limited'
  | 'server'
  | 'popup_blocked'
  | 'popup_closed';

/**
 * The one error the widget rejects with. Misusing the API (a missing option, a wrong type) is a
 * `TypeError` instead: that is the calling programmer's to fix, not the world's.
 * @example try { await Alloy.getIntegrations() } catch (e) { if (e.code === 'token_expired') … }
 */
export class AlloyError extends Error {
  // Declared, then assigned: parameter properties would add class field declarations to the bundle
  // for no gain.
  declare readonly code: AlloyErrorCode;
  declare readonly details?: Array<{ path: string; message: string }>;
  /** When the server said when to try again (429, 503 `Retry-After`): in milliseconds. */
  declare readonly retryAfter?: number;
  /**
   * The server's own `error.code` when it sent one: finer than `code` (`upstream_error`,
   * `upgrade_blocked`, `invalid_json`…; see the API's error codes). `'oauth'`: an OAuth sign-in
   * failed at the server or the provider (`code` is `unauthorized`).
   */
  declare readonly serverCode?: string;

  constructor(code: AlloyErrorCode, message: string, details?: Array<{ path: string; message: string }>, retryAfter?: number, serverCode?: string) {
    super(message);
    Object.assign(this, { name: 'AlloyError', code, details, retryAfter, serverCode });
  }
}

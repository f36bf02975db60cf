import type { OAuthDeps } from './oauth';
import { refreshAhead } from './oauth';

/** Credentials refreshed per round; a full round makes it look again at once. */
const BATCH = 50;

/**
 * Refreshes OAuth tokens before they expire (OAUTH_REFRESH_AHEAD_MS), beside each worker, so an
 * execution rarely waits for a refresh and a provider that is down has the whole window to come
 * back before any execution needs the token. It takes each refresh through the same lease as an
 * execution would (server/engine/oauth.ts), so several processes sweeping at once refresh each
 * credential once. What goes wrong stays on the credential (its last error, or `needs_reconnect`).
 */
export class RefreshSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Tokens with no refresh token, still valid: nothing to do until they expire (this process only). */
  private readonly skip = new Map<string, number>();

  constructor(
    private readonly deps: OAuthDeps,
    private readonly windowMs: number,
    private readonly everyMs = Math.max(1000, Math.min(60_000, Math.floor(windowMs / 4))),
  ) {}

  start(): void {
    if (this.timer || this.windowMs <= 0) return;
    this.timer = setInterval(() => void this.sweep(), this.everyMs);
    this.timer.unref();
  }

  /** One round now (also what the timer runs); resolves when its refreshes are done. */
  sweep(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const now = Date.now();
    for (const [key, until] of this.skip) if (until <= now) this.skip.delete(key);
    let due: Array<{ userId: string; credentialId: string }>;
    try {
      due = await this.deps.store.credentials.expiring(now + this.windowMs, BATCH + this.skip.size);
    } catch {
      return; // The store is down: the next round tries again.
    }
    const todo = due.filter((c) => !this.skip.has(c.credentialId)).slice(0, BATCH);
    await Promise.all(
      todo.map(async ({ userId, credentialId }) => {
        const result = await refreshAhead(this.deps, userId, credentialId, this.windowMs);
        if (result === 'no_refresh_token') this.skip.set(credentialId, now + this.windowMs);
      }),
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import type { ConnectorContext } from '../../server/connectors/types';
import { createHttpClient, type HttpClient } from '../../server/engine/http';

/**
 * The pooled HTTP client a connector test file hands its actions, closed after the file's tests.
 * It allows private addresses (the fakes listen on 127.0.0.1); a request that says
 * `allowPrivate: false` (Stream Data with private URLs not allowed) is checked anyway.
 */
export function connectorHttp(): ReturnType<typeof createHttpClient> {
  const http = createHttpClient({ timeoutMs: 2000, maxResponseBytes: 1_000_000, allowPrivate: true });
  afterAll(async () => {
    await http.close();
  });
  return http;
}

export interface ConnectorContextOptions {
  http: HttpClient;
  /** The user's credential for the app; none when left out. */
  credential?: Record<string, string>;
  /** Where each app's API lives (a fake's URL); none when left out. */
  apiUrls?: Record<string, string>;
  /** A fresh random `whsec_…` secret when left out. */
  webhookSecret?: string;
  /** True when left out: the fakes and databases the tests use listen on 127.0.0.1. */
  allowPrivateUrls?: boolean;
  deliveryId?: string;
  /** What the block signs with; `[webhookSecret]` (a destination the definition fixes) when left out. */
  signingSecrets?: string[];
}

/** What the engine gives a connector's action, with test settings. */
export function connectorContext({
  http,
  credential,
  apiUrls = {},
  webhookSecret = `whsec_${randomBytes(24).toString('base64')}`,
  allowPrivateUrls = true,
  deliveryId = 'exec1_block1',
  signingSecrets = [webhookSecret],
}: ConnectorContextOptions): ConnectorContext {
  return { http, credential, deliveryId, signingSecrets, settings: { apiUrls, webhookSecret, allowPrivateUrls, oauthClients: {} } };
}

/** Runs `fn`, which must throw, and returns what it threw. */
export async function thrown(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw, got none');
}

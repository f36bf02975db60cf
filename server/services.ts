import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from './config';
import type { Services } from './domain/context';
import { loadDefinitions, type Definitions } from './definitions/load';
import { DecryptionError, Vault, hashApiKey, parseEncryptionKey, persistedSecret } from './secrets';
import { openStore, storeOptionsFor, type Store, type StoreOptions } from './store';
import { TokenService } from './tokens';
import { createEngine } from './engine';
import { checkConnectors } from './connectors/check';
import { generateWebhookSecret } from './engine/webhook-signature';

export interface Started {
  services: Services;
  /** Set when a development API key was generated or read from the data directory. */
  devApiKey?: string;
  devApiKeyCreated: boolean;
  /** Set when the Stream Data signing secret was generated just now (print it once). */
  newWebhookSecret?: string;
  released: string[];
}

/**
 * Opens the store, loads and releases the definitions, and sets up keys. In development, missing
 * secrets are generated once and kept in the data directory; in production they must be given.
 */
export async function startServices(config: Config, overrides: { store?: StoreOptions; definitions?: Definitions; worker?: boolean } = {}): Promise<Started> {
  const definitions = overrides.definitions ?? loadDefinitions(config.integrationsDir);
  checkConnectors(definitions);
  if (config.production && (!config.apiKey || !config.encryptionKey || !config.webhookSecret)) {
    throw new Error('In production (NODE_ENV=production) set ALLOY_API_KEY, ALLOY_ENCRYPTION_KEY and ALLOY_WEBHOOK_SECRET.');
  }
  const encryptionKey = config.encryptionKey
    ? parseEncryptionKey(config.encryptionKey)
    : Buffer.from(persistedSecret(config.dataDir, 'encryption.key', () => randomBytes(32).toString('hex')).value, 'hex');
  const vault = new Vault(encryptionKey);

  const store: Store = await openStore(overrides.store ?? storeOptionsFor(config));
  // Every process that changes installations or credentials stores their lifecycle messages,
  // API-only ones too; the processes that run workers send them.
  store.webhookMessages.enabled = Boolean(config.eventsWebhookUrl);
  try {
    const { released } = await store.versions.release(definitions.integrations);
    let devApiKey: string | undefined;
    let devApiKeyCreated = false;
    if (config.apiKey) {
      await store.keys.addApiKeyHash(hashApiKey(config.apiKey), 'ALLOY_API_KEY');
    } else {
      const dev = persistedSecret(config.dataDir, 'dev-api-key', () => `dev_${randomBytes(24).toString('base64url')}`);
      devApiKey = dev.value;
      devApiKeyCreated = dev.created;
      await store.keys.addApiKeyHash(hashApiKey(dev.value), 'development key');
    }
    // Only the keys this process was configured with are accepted: a key from an old
    // configuration stays in the table but no longer opens the API.
    const apiKeyHashes = [hashApiKey(config.apiKey ?? devApiKey!)];
    const tokens = await TokenService.open(store.keys, vault, {
      issuer: config.tokenIssuer,
      audience: config.tokenAudience,
      ttlSeconds: config.tokenTtlSeconds,
    }).catch((err: unknown) => {
      if (!(err instanceof DecryptionError)) throw err;
      const using = config.encryptionKey ? 'ALLOY_ENCRYPTION_KEY' : `generated into ${path.join(config.dataDir, 'encryption.key')}, as ALLOY_ENCRYPTION_KEY is unset`;
      throw new Error(
        'Cannot decrypt the token signing key stored in the database: the stored secrets were encrypted with a different ' +
          `ALLOY_ENCRYPTION_KEY (or a different generated key file in DATA_DIR) than the one this process uses (${using}). ` +
          'Set ALLOY_ENCRYPTION_KEY to the original key (or put back the original DATA_DIR/encryption.key); stored credentials and secret settings need it too.',
        { cause: err },
      );
    });
    const webhook = config.webhookSecret ? { value: config.webhookSecret, created: false } : persistedSecret(config.dataDir, 'webhook-secret', generateWebhookSecret);
    const engine = createEngine(config, store, vault, webhook.value, { worker: overrides.worker ?? config.workers });
    return {
      services: { config, store, definitions, tokens, vault, apiKeyHashes, engine },
      devApiKey,
      devApiKeyCreated,
      newWebhookSecret: webhook.created ? webhook.value : undefined,
      released,
    };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}

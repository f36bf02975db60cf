import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config';
import { startServices } from '../../server/services';
import type { StoreOptions } from '../../server/store';
import { API_KEY, startTestServer, storeKind, type TestServer } from '../helpers/server';

const ORIGINAL_KEY = 'a1'.repeat(32);
const OTHER_KEY = 'b2'.repeat(32);

describe(`starting with another encryption key (${storeKind})`, () => {
  let server: TestServer | undefined;
  let otherDir: string | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (otherDir) fs.rmSync(otherDir, { recursive: true, force: true });
    otherDir = undefined;
  });

  /** The test server's store, for a second start on the same data. */
  const sameStore = async (s: TestServer): Promise<StoreOptions> => {
    if (storeKind === 'sqlite') return { kind: 'sqlite', file: path.join(s.dataDir, 'alloy.sqlite') };
    const row = await s.services.store.db.get<{ schema: string }>('SELECT current_schema() AS schema');
    return { kind: 'postgres', url: process.env.TEST_DATABASE_URL!, schema: row!.schema, maxConnections: 1 };
  };
  const configWith = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ALLOY_API_KEY: API_KEY, WORKERS: 'off', ...env });

  it('stops, saying the stored secrets were encrypted with a different ALLOY_ENCRYPTION_KEY and to set the original one', async () => {
    server = await startTestServer({ env: { ALLOY_ENCRYPTION_KEY: ORIGINAL_KEY } });
    const store = await sameStore(server);

    await expect(startServices(configWith({ DATA_DIR: server.dataDir, ALLOY_ENCRYPTION_KEY: OTHER_KEY }), { store })).rejects.toThrow(
      'Cannot decrypt the token signing key stored in the database: the stored secrets were encrypted with a different ALLOY_ENCRYPTION_KEY ' +
        '(or a different generated key file in DATA_DIR) than the one this process uses (ALLOY_ENCRYPTION_KEY). Set ALLOY_ENCRYPTION_KEY to the ' +
        'original key (or put back the original DATA_DIR/encryption.key); stored credentials and secret settings need it too.',
    );

    // With the original key it starts.
    const again = await startServices(configWith({ DATA_DIR: server.dataDir, ALLOY_ENCRYPTION_KEY: ORIGINAL_KEY }), { store });
    await again.services.store.close();
  });

  it('names the generated key file it used when ALLOY_ENCRYPTION_KEY is unset', async () => {
    server = await startTestServer(); // its key is generated into its DATA_DIR/encryption.key
    otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-other-'));

    const err = await startServices(configWith({ DATA_DIR: otherDir }), { store: await sameStore(server) }).catch((e: Error) => e);

    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(
      `encrypted with a different ALLOY_ENCRYPTION_KEY (or a different generated key file in DATA_DIR) than the one this process uses (generated into ${path.join(otherDir, 'encryption.key')}, as ALLOY_ENCRYPTION_KEY is unset)`,
    );
    expect((err as Error).message).not.toContain('Unsupported state');
  });
});

/// <reference types="vite/client" />
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { useConnectorDir } from '../../server/connectors';
import { runDatabaseKit, runKit } from '../kit/run';
import type { DatabaseKitFixture, KitFixture } from '../kit/types';

// Every connector's fixture (test/kit/fixtures/<id>.ts) through the same checks, on this run's store.
// `npm run connector:check <file>` runs one: KIT_FIXTURE names a fixture here, or KIT_FIXTURE_FILE one
// anywhere (an ISV's connector in CONNECTORS_DIR, with its own fixture).
if (process.env.CONNECTORS_DIR) useConnectorDir(path.resolve(process.env.CONNECTORS_DIR));
const only = process.env.KIT_FIXTURE;
const file = process.env.KIT_FIXTURE_FILE;
if (file) {
  const mod = (await import(pathToFileURL(path.resolve(file)).href)) as { fixture: KitFixture | DatabaseKitFixture };
  run(mod.fixture);
} else {
  const fixtures = import.meta.glob<{ fixture: KitFixture | DatabaseKitFixture }>('../kit/fixtures/*.ts', { eager: true });
  for (const [name, mod] of Object.entries(fixtures)) {
    if (only && !name.endsWith(`/${only}.ts`)) continue;
    run(mod.fixture);
  }
}

function run(fixture: KitFixture | DatabaseKitFixture) {
  if ('kind' in fixture && fixture.kind === 'database') runDatabaseKit(fixture);
  else runKit(fixture as KitFixture);
}

/// <reference types="vite/client" />
import { runKit } from '../kit/run';
import type { KitFixture } from '../kit/types';

// Every connector's fixture (test/kit/fixtures/<id>.ts) through the same checks, on this run's store.
// `npm run connector:check <file>` runs a single one (KIT_FIXTURE).
const fixtures = import.meta.glob<{ fixture: KitFixture }>('../kit/fixtures/*.ts', { eager: true });
const only = process.env.KIT_FIXTURE;
for (const [file, mod] of Object.entries(fixtures)) {
  if (only && !file.endsWith(`/${only}.ts`)) continue;
  runKit(mod.fixture);
}

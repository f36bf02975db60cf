import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DefinitionError } from '../../server/definitions/event-schema';
import { loadConnectorFile } from '../../server/connectors/declarative/load';

// `npm run connector:check <connector.json> [fixture.ts]`: validates a connector file as the server
// would at start, then runs the conformance kit (test/kit/run.ts) against it with its fixture: the one
// given, else `<id>.kit.ts` beside the file, else the catalogue's test/kit/fixtures/<id>.ts.
const [file, fixtureArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: npm run connector:check <connector.json> [fixture.ts]');
  process.exit(2);
}
let connector;
try {
  connector = loadConnectorFile(path.resolve(file));
} catch (err) {
  console.error(err instanceof DefinitionError ? `✗ ${err.message}` : err);
  process.exit(1);
}
const list = (o: object | undefined) => Object.keys(o ?? {}).join(', ') || '—';
console.log(`✓ ${file}: ${connector.name} (${connector.id})`);
console.log(`  auth: ${connector.auth.map((a) => a.type).join(', ') || 'none'}; actions: ${list(connector.actions)}`);
console.log(`  option sources: ${list(connector.optionSources)}; list sources: ${list(connector.listSources)}; webhooks: ${connector.webhooks?.events.join(', ') ?? '—'}`);

const beside = path.join(path.dirname(path.resolve(file)), `${connector.id}.kit.ts`);
const catalogue = path.resolve('test/kit/fixtures', `${connector.id}.ts`);
const fixture = fixtureArg ? path.resolve(fixtureArg) : existsSync(beside) ? beside : existsSync(catalogue) ? catalogue : undefined;
if (!fixture) {
  console.error(`✗ no kit fixture: write ${path.relative(process.cwd(), beside)} (see docs/connectors.md, "The connector test kit")`);
  process.exit(1);
}
// A catalogue file is loaded by the server itself; any other is loaded from its directory, as CONNECTORS_DIR.
const inCatalogue = path.resolve(file).startsWith(path.resolve('server/connectors/catalog') + path.sep);
const env = { ...process.env, KIT_FIXTURE_FILE: fixture, ...(inCatalogue ? {} : { CONNECTORS_DIR: path.dirname(path.resolve(file)) }) };
const run = spawnSync('npx', ['vitest', 'run', '--project', 'sqlite', 'test/server/conformance.test.ts'], { stdio: 'inherit', env });
process.exit(run.status ?? 1);

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefinitionError } from '../definitions/event-schema';
import { bigcommerce } from './bigcommerce';
import { loadConnectorDir } from './declarative/load';
import { withHttpAction } from './http-action';
import { mysqlConnector } from './mysql';
import { netsuite } from './netsuite';
import { postgres } from './postgres';
import { slack } from './slack';
import { streamData } from './stream-data';
import type { Connector } from './types';

// Two kinds, one registry: connectors written in TypeScript (for what data cannot say: NetSuite's
// OAuth 1.0a signing, database destinations, signed Stream Data deliveries) and connectors described
// as data, the catalogue's in server/connectors/catalog/ and the ISV's own in CONNECTORS_DIR
// (docs/connectors.md). Each that declares an `api` gets the generic `http` action (the API proxy).
const CATALOG_DIR = join(dirname(fileURLToPath(import.meta.url)), 'catalog');

const builtIn: Connector[] = [slack, bigcommerce, netsuite, streamData, postgres, mysqlConnector, ...loadConnectorDir(CATALOG_DIR)].map(withHttpAction);
const builtInIds = new Set(builtIn.map((c) => c.id.toLowerCase()));

let connectors: Connector[] = builtIn;
let byId = new Map(connectors.map((c) => [c.id.toLowerCase(), c]));

/** Every connector, for `GET /apps`. */
export function listConnectors(): readonly Connector[] {
  return connectors;
}

/** A connector by id, case-insensitively (`Slack`, `slack`). */
export function findConnector(id: string): Connector | undefined {
  return byId.get(id.toLowerCase());
}

/**
 * Loads the ISV's own connector files (`CONNECTORS_DIR`) beside the built-in ones, replacing any
 * loaded before. A bad file, or an id that is taken, throws a `DefinitionError` naming the file.
 */
export function useConnectorDir(dir: string | undefined): readonly Connector[] {
  const own = dir ? loadConnectorDir(dir) : [];
  const seen = new Set<string>();
  for (const c of own) {
    const id = c.id.toLowerCase();
    if (builtInIds.has(id)) throw new DefinitionError(`id "${c.id}" is a built-in connector's; choose another`, join(dir!, `${c.id}.json`), ['id']);
    if (seen.has(id)) throw new DefinitionError(`id "${c.id}" is used by two files`, dir, ['id']);
    seen.add(id);
  }
  connectors = [...builtIn, ...own.map(withHttpAction)];
  byId = new Map(connectors.map((c) => [c.id.toLowerCase(), c]));
  return own;
}

/**
 * The ways this server can connect an account of the connector: OAuth 2.0 only where a client
 * is configured for it, so nobody is offered a button that cannot work.
 */
export function availableAuth(connector: Connector, oauthClients: Record<string, unknown>): Connector['auth'] {
  return connector.auth.filter((a) => a.type !== 'oauth2' || (connector.oauth && oauthClients[connector.id]));
}

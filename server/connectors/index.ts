import { bigcommerce } from './bigcommerce';
import { withHttpAction } from './http-action';
import { mysqlConnector } from './mysql';
import { netsuite } from './netsuite';
import { postgres } from './postgres';
import { slack } from './slack';
import { streamData } from './stream-data';
import type { Connector } from './types';

// Adding a connector: write server/connectors/<app>.ts exporting a `Connector`, add it here. One
// that declares an `api` gets the generic `http` action (the API proxy) unless it has its own.
const connectors: Connector[] = [slack, bigcommerce, netsuite, streamData, postgres, mysqlConnector].map(withHttpAction);

const byId = new Map(connectors.map((c) => [c.id.toLowerCase(), c]));

/** Every connector, for `GET /apps`. */
export function listConnectors(): readonly Connector[] {
  return connectors;
}

/** A connector by id, case-insensitively (`Slack`, `slack`). */
export function findConnector(id: string): Connector | undefined {
  return byId.get(id.toLowerCase());
}

/**
 * The ways this server can connect an account of the connector: OAuth 2.0 only where a client
 * is configured for it, so nobody is offered a button that cannot work.
 */
export function availableAuth(connector: Connector, oauthClients: Record<string, unknown>): Connector['auth'] {
  return connector.auth.filter((a) => a.type !== 'oauth2' || (connector.oauth && oauthClients[connector.id]));
}

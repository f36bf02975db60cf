import type { AppFake } from '../fakes/app-fake';

/**
 * What one connector's conformance fixture gives the connector test kit (test/kit/run.ts): its
 * fake, accounts the fake accepts and refuses, and for each capability the input to send and what
 * must reach the app on the wire. The kit runs the same checks on every connector; a capability the
 * app does not have is left out (and the kit says so in the test name).
 */
export interface KitFixture {
  /** The connector's id. */
  connector: string;
  /** Starts the app's fake; the kit points the connector's base URL (its `env`) at `fake.url`. */
  start(): Promise<AppFake>;
  /** An account the fake accepts, as the widget's form (or the OAuth flow, `{ accessToken, …tokenFields }`) stores it. */
  credential: Record<string, string>;
  /** The name the connector's test call reads for that account. */
  displayName: string | null;
  /** An account the fake refuses, and (a pattern of) the app's own words the refusal must carry. */
  refused: { credential: Record<string, string>; reason: RegExp };
  /** Every action: valid input, the request the app must receive, and a check of the output. */
  actions: Record<string, ActionCase>;
  /** An input the app refuses with a 4xx that must not be retried, and the app's words the error carries. */
  notRetried: { action: string; input: Record<string, unknown>; status: number; reason: RegExp };
  /** A list read across at least three pages: which action, option source or list source, and how many items it must answer. */
  pagination?: {
    kind: 'action' | 'optionSource' | 'listSource';
    name: string;
    input?: Record<string, unknown>;
    params?: Record<string, string>;
    items: number;
    prepare?(fake: AppFake): void;
  };
  /** Every option source: its parameters, and options that must be among its answer. */
  optionSources?: Record<string, { params?: Record<string, string>; includes: Array<{ label: string; value: string }> }>;
  /** A list source for the `poll` trigger: the records of a first read, by key. */
  listSources?: Record<string, { params?: Record<string, unknown>; keys: string[] }>;
  /** The app's webhooks: an event, the subscribe request it must receive, and a delivery signed as the app signs. */
  webhook?: WebhookCase;
}

export interface ExpectedRequest {
  method: string;
  path: string;
  /** Query parameters that must be present with these values (others may be). */
  query?: Record<string, string | string[]>;
  /** Headers (lower-case names) that must be present with these values (others may be). */
  headers?: Record<string, string>;
  /** The parsed body must equal this (`expect.anything()` and other matchers allowed). */
  body?: unknown;
}

export interface ActionCase {
  input: Record<string, unknown>;
  /** The last request the action made (the only one, for an action without pagination). */
  request: ExpectedRequest;
  /** Checks the action's output: throw (an `expect`) when it is wrong. */
  output(out: unknown): void;
  /** Sets the fake up before the call (data for it to answer). */
  prepare?(fake: AppFake): void;
}

export interface WebhookCase {
  event: string;
  /** False for an app that signs nothing but sends back a secret (BigCommerce's hook header): a changed body then still verifies. */
  signsBody?: boolean;
  /** The request subscribe sends, given the URL and the engine's secret it subscribes with. */
  subscribe(sub: { url: string; secret: string }): ExpectedRequest;
  /** A delivery the app would send for the subscription: headers (lower case) and the raw body, signed with `secret`. */
  delivery(secret: string, credential: Record<string, string>): { headers: Record<string, string>; rawBody: string };
  /** Checks what the blocks see as `event` for that delivery (after `fetch`, when the connector fetches). */
  received?(event: unknown): void;
}

/**
 * A database destination's fixture (PostgreSQL, MySQL): there is no HTTP to record, so the kit runs
 * what applies against the real database on this machine: connect (accepted, refused in the
 * database's words, down), every action writing what it says, a refusal that is not retried, and a
 * database that does not answer, retried.
 */
export interface DatabaseKitFixture {
  kind: 'database';
  connector: string;
  /** Makes a scratch table; `read` answers its rows, `drop` removes it. */
  setup(): Promise<{ table: string; read(): Promise<unknown[]>; drop(): Promise<void> }>;
  credential: Record<string, string>;
  displayName: string;
  refused: { credential: Record<string, string>; reason: RegExp };
  actions: Record<string, { input(table: string): Record<string, unknown>; output(out: unknown): void; rows(rows: unknown[]): void }>;
  /** An input the database refuses for good (a table that does not exist), and its words. */
  notRetried: { action: string; input(table: string): Record<string, unknown>; reason: RegExp };
}

import { z } from 'zod';
import type { HttpClient, HttpResponse } from '../engine/http';
import { jsonAtMost, LIMITS, type AuthView, type CredentialFieldView, type FieldOptionView } from '../../widget/schema';

// The account form and the ways to connect are wire shapes the widget reads: one schema each, in widget/schema.ts.
/** One field of the account form the end user fills to connect an app. */
export type CredentialField = z.infer<typeof CredentialFieldView>;
/** How a connector authenticates: `none`, an API-key style form, or OAuth 2.0. */
export type ConnectorAuth = z.infer<typeof AuthView>;

/** Engine-wide settings a connector may need: where each app's API lives, how to sign, what to allow. */
export interface ConnectorSettings {
  apiUrls: Record<string, string>;
  /** The ISV's Standard Webhooks secret (`whsec_…`) for signing Stream Data deliveries. */
  webhookSecret: string;
  /** Allow Stream Data and webhook targets on private, loopback and link-local addresses. */
  allowPrivateUrls: boolean;
  /**
   * This server's own base URL (`PUBLIC_URL`, else where this process listens, set once it does):
   * a Stream Data URL that is a path (`/demo/sink/acmeco`) is resolved against it.
   */
  selfUrl?: string;
  /** OAuth 2.0 clients by connector id (from SLACK_CLIENT_ID and the like). */
  oauthClients: Record<string, { clientId: string; clientSecret: string; authorizeUrl: string }>;
}

/**
 * A connector's OAuth 2.0 provider. The client comes from `<ENV>_CLIENT_ID` and
 * `<ENV>_CLIENT_SECRET` (OAuth is offered only when both are set); `<ENV>_OAUTH_URL` overrides
 * the authorization URL.
 */
export interface ConnectorOAuth {
  env: string;
  authorizeUrl: string;
  tokenUrl(settings: ConnectorSettings): string;
  /** Scopes joined as the provider wants them (Slack: commas; RFC 6749: spaces). */
  scopeSeparator: ',' | ' ';
  /** Fields of the token answer kept in the credential beside the token (Salesforce's `instance_url`): text values only. */
  tokenFields?: readonly string[];
  /** Further parameters of the authorization URL, beside the standard ones (Google's `access_type=offline`). */
  authorizeParams?: Readonly<Record<string, string>>;
}

/** What a connector's action gets: never a route, never the store. */
export interface ConnectorContext {
  http: HttpClient;
  /** The user's credential for this app, decrypted; undefined when the app needs no account. */
  credential?: Record<string, string>;
  /** Stable across retries of the same block of the same execution: lets a destination drop duplicates. */
  deliveryId: string;
  /**
   * What this block's deliveries are signed with: the ISV's `webhookSecret` when the definition
   * fixes the destination, else the destination's own secret (and, during a rotation, the one it
   * replaced). See `ConnectorAction.destination`.
   */
  signingSecrets: readonly string[];
  settings: ConnectorSettings;
}

export interface ConnectorAction<S extends z.ZodType = z.ZodType> {
  description: string;
  /** Validates the block's input after mapping; a mismatch fails the block without retrying. */
  input: S;
  /**
   * The input that names where a signed delivery goes (Stream Data's `url`). When a block's value
   * for it is not a literal of the definition (any `{{…}}`: a user's setting can choose it), the
   * block signs with a secret of its own per installation, never with the ISV's.
   */
  destination?: string;
  /**
   * The pace the app allows this action, held across every worker process on the store: calls
   * with the same key start at least `everyMs` apart. A call whose turn is a moment away waits for
   * it; one whose turn is later goes back to the queue until then, its worker slot free for others
   * (server/engine/throttle.ts).
   * @example throttle: { key: (input, credential) => `${credential?.id}:${input.channel}`, everyMs: 1000 } // one message a second per channel
   */
  throttle?: ActionThrottle<z.output<S>>;
  /** Returns the output later blocks can map (`{{steps.<blockId>.output…}}`); throws to fail. */
  run(input: z.output<S>, ctx: ConnectorContext): Promise<unknown>;
}

/** A connector action's pace: see `ConnectorAction.throttle`. */
export interface ActionThrottle<I = unknown> {
  /**
   * What the pace is per, from the action's input (after validation) and the installation's
   * account (its id and decrypted data; undefined for an app without accounts). Never put a
   * secret in it: keys are stored as they are.
   */
  key(input: I, credential: { id: string; data: Record<string, string> } | undefined): string;
  /** The least time between the starts of two calls with the same key, in milliseconds. */
  everyMs: number;
}

/** Declares an action with its input type inferred from the schema. */
export function defineAction<S extends z.ZodType>(action: ConnectorAction<S>): ConnectorAction {
  return action as unknown as ConnectorAction;
}

/** One choice of a field, as an option source loads it (`required` and `custom` mark a mapping's targets). */
export type FieldOption = z.infer<typeof FieldOptionView>;

/** What an option source gets: what an action gets, less what only a delivery needs. */
export type OptionContext = Omit<ConnectorContext, 'deliveryId' | 'signingSecrets'>;

/**
 * Loads the options of a configurable field from the app, with the user's credential (e.g. Slack
 * channels). A source that depends on other fields declares `params`: each is the value of the
 * field of the same workflow with that name (the definition lists them in `dependsOn`).
 */
export interface OptionSource {
  (ctx: OptionContext, params?: Record<string, string>): Promise<FieldOption[]>;
  /** The parameters it takes, by name; a missing or invalid one is a 400 naming it. */
  params?: z.ZodObject;
}

/**
 * Declares an option source that takes parameters, its loader typed by their schema.
 * @example defineOptionSource(z.object({ treeId: z.string() }), (ctx, { treeId }) => …)
 */
export function defineOptionSource<P extends z.ZodObject>(params: P, load: (ctx: OptionContext, params: z.output<P>) => Promise<FieldOption[]>): OptionSource {
  return Object.assign(async (ctx: OptionContext, given: Record<string, string> = {}) => load(ctx, params.parse(given)), { params });
}

/** What reaching an app's API needs: the engine's settings and the user's credential. */
export type ApiContext = Pick<ConnectorContext, 'credential' | 'settings'>;

/**
 * How a connector's REST API is reached: what its own calls and the generic `http` action (the API
 * proxy, server/connectors/http-action.ts) share. A connector that declares it gets the `http`
 * action; the base comes from configuration and the credential, never from a definition or a user,
 * so a proxied path cannot leave it.
 * @example api: { baseUrl: (ctx) => ctx.settings.apiUrls.slack!, authorize: (ctx) => ({ authorization: `Bearer ${token(ctx)}` }) }
 */
export interface ConnectorApi {
  /** Every path is relative to it (Slack `https://slack.com/api`, BigCommerce `…/stores/{store_hash}`); throws `NonRetriableError` when the credential lacks a part. */
  baseUrl(ctx: ApiContext): string;
  /** The headers that authenticate a call with the credential; a caller of the `http` action cannot set them. Throws `NonRetriableError` when the credential lacks them. */
  authorize(ctx: ApiContext): Record<string, string>;
  /** The app's own message in an error body (BigCommerce's `[{ message }]`, Slack's `{ error }`), so a failure reads in its words. */
  says?(body: unknown): string | undefined;
  /** Throws when a 2xx answer is a failure in the app's terms (Slack's `{ ok: false, error }`); `what` names the call in the message. */
  assertOk?(res: HttpResponse, what: string): void;
}

/** The most a list source may put in a record's key, its version and a checkpoint (characters): each is stored per record or per installation. */
export const LIST_LIMITS = { key: 500, version: 200, checkpoint: 4000 };

/**
 * One page a list source answers. `records`: each with its `key` (what names it in the app, its
 * id), its `version` (what changes whenever it does: its last-modified time, a revision; a version
 * must never come back once replaced) and its `data`. `checkpoint`: where the next page starts,
 * opaque to the engine (a cursor, a last-modified time). `hasMore`: another page follows at once.
 */
export const ListPageSchema = z.object({
  records: z.array(
    z.object({
      key: z.string().min(1).max(LIST_LIMITS.key),
      version: z.string().max(LIST_LIMITS.version),
      data: z.record(z.string(), z.unknown()),
    }),
  ),
  checkpoint: z.string().max(LIST_LIMITS.checkpoint).nullable(),
  hasMore: z.boolean(),
});
export type ListPage = z.infer<typeof ListPageSchema>;
export type ListRecord = ListPage['records'][number];

/**
 * Lists an app's records that are new or changed since a checkpoint, one page per call, with the
 * user's credential: what the `poll` trigger calls on its interval (server/triggers/poll.ts).
 *
 * The engine stores each page's records and its `checkpoint` in one transaction, then asks for the
 * next page with that checkpoint (null on the very first call). A process killed between pages so
 * reads again only the page it had not stored; records are deduplicated by key and version, so a
 * source may also read a little behind its checkpoint (an overlap, for records saved late) at no
 * cost but the read. The last page of a round (`hasMore: false`) gives the checkpoint the next
 * round, an interval later, starts from.
 * @example defineListSource({ label: 'New or changed invoices', params: z.object({ pageSize: z.int().default(500) }), list: async (ctx, checkpoint, { pageSize }) => … })
 */
export interface ListSource<P extends z.ZodObject = z.ZodObject> {
  /** What it lists, for the trigger's view: `New or changed invoices`. */
  label: string;
  /** The definition's `params` it takes; checked when definitions load, defaults applied before each call. */
  params?: P;
  list(ctx: OptionContext, checkpoint: string | null, params: z.output<P>): Promise<ListPage>;
}

/** Declares a list source, `list` typed by its parameters' schema. */
export function defineListSource<P extends z.ZodObject>(source: ListSource<P>): ListSource {
  return source as unknown as ListSource;
}

/** A delivery to an installation's URL as it arrived: header names in lower case, the body as sent (what an HMAC is computed over). */
export interface WebhookDelivery {
  headers: Record<string, string | undefined>;
  rawBody: string;
}

/**
 * How an app sends its events to an installation's URL (`/hooks/<token>`), for the `app` trigger
 * (server/triggers/app.ts): the engine subscribes when a workflow is installed or activated and
 * unsubscribes when it is deactivated or uninstalled (server/engine/subscriber.ts), verifies each
 * delivery before recording it, and fetches what the delivery points at before the first block.
 * Each call gets the installation's account, as an option source does.
 * @example webhooks: { events: ['store/order/created'], secretHeader: 'x-alloy-webhook-secret', subscribe, unsubscribe, verify, deliveryId, fetch }
 */
export interface ConnectorWebhooks {
  /** The events an `app` trigger of this connector may name; any other is a definition error. */
  events: readonly string[];
  /** The header `verify` reads, named in the 401 that refuses a delivery. */
  secretHeader: string;
  /**
   * Subscribes `url` to `event`, its deliveries provable with `secret` (kept by the engine, the same
   * on every retry). Idempotent for one event and URL: after an answer that was lost, a retry takes
   * over the subscription the first call made instead of making a second. An app that makes the
   * signing secret itself (Stripe's webhook endpoints) answers it as `secret`: the engine keeps that
   * one instead.
   */
  subscribe(ctx: OptionContext, subscription: { event: string; url: string; secret: string }): Promise<{ subscriptionId: string; secret?: string }>;
  /** Removes a subscription; one the app no longer has (a 404) counts as removed. */
  unsubscribe(ctx: OptionContext, subscriptionId: string): Promise<void>;
  /** Whether the delivery proves it came from the subscription made with `secret`, compared in constant time. */
  verify(delivery: WebhookDelivery & { secret: string }): boolean;
  /** What names a delivery across the app's retries (BigCommerce's payload `hash`): a redelivery is then a repeat, not a second run. */
  deliveryId?(payload: unknown, headers?: Record<string, string | undefined>): string | undefined;
  /**
   * The resource the payload points at (the order and its products), with the account; what the
   * blocks see as `event`. Throws `NonRetriableError` when it is gone or the payload names none.
   */
  fetch(ctx: OptionContext, event: string, payload: unknown): Promise<unknown>;
}

/**
 * A connector: an app we talk to. One file per app under server/connectors/, registered in
 * index.ts. It describes how to connect an account, its actions, and the option lists that
 * configurable fields load from it (e.g. Slack channels).
 */
export interface Connector {
  id: string;
  name: string;
  icon: string;
  /** Ways to connect an account, preferred first; empty when the app needs no account. */
  auth: ConnectorAuth[];
  /** The app's API base URL and the environment variable that overrides it (tests point it at a fake). */
  apiUrl?: { env: string; default?: string };
  /** How its REST API is reached with the credential; when given, the registry adds the generic `http` action. */
  api?: ConnectorApi;
  actions: Record<string, ConnectorAction>;
  oauth?: ConnectorOAuth;
  optionSources?: Record<string, OptionSource>;
  /** Record lists the `poll` trigger reads on an interval (new or changed invoices), by name. */
  listSources?: Record<string, ListSource>;
  /** How the app delivers its events to an installation's URL (the `app` trigger): subscribe, verify, fetch. */
  webhooks?: ConnectorWebhooks;
  /**
   * A cheap authenticated call that proves an account works, run when one is connected or
   * reconnected (verify on connect): Slack `auth.test`, a database's `SELECT 1`. Resolves with
   * the account's name as the app tells it (the Slack team, the store's name, the database host),
   * or null. Throws `NonRetriableError` when the app refuses the account (its message says why),
   * anything else (`RetryAfterError`, a network failure) when the app is down or slow.
   */
  test?: (ctx: OptionContext) => Promise<{ displayName: string | null }>;
  /**
   * Shape checks of API-key credential fields, by field name, run on the (trimmed) value when a
   * credential is accepted: e.g. a field that becomes part of a URL.
   */
  credentialChecks?: Record<string, z.ZodType<string, string>>;
}

/**
 * A credential value sent as (part of) an HTTP header, such as a bearer token: visible ASCII only.
 * Anything else could never be sent (the HTTP client refuses it before the app sees it), so it is
 * a 400 naming the field rather than an app that seems down.
 * @example credentialChecks: { botToken: HEADER_TOKEN }
 */
export const HEADER_TOKEN = z.string().regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces or line breaks: it is sent in an HTTP header');

/**
 * The credential schema for an app's API-key form: every declared field, required ones non-empty,
 * each also passing its check from `checks` (the connector's `credentialChecks`), none longer than
 * `LIMITS.credentialValueChars`, and the whole no larger than `LIMITS.credentialDataBytes`.
 */
export function credentialDataSchema(fields: readonly CredentialField[], checks: Record<string, z.ZodType<string, string>> = {}) {
  const schema = z.strictObject(
    Object.fromEntries(
      fields.map((f) => {
        const string = z.string().max(LIMITS.credentialValueChars, `must be at most ${LIMITS.credentialValueChars} characters`);
        const value = f.required ? string.trim().min(1, `${f.label} is required`) : string;
        const check = checks[f.name];
        const checked = check ? value.pipe(check) : value;
        return [f.name, f.required ? checked : checked.optional()];
      }),
    ),
  );
  return jsonAtMost(schema, LIMITS.credentialDataBytes);
}

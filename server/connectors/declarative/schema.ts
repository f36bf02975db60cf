import { z } from 'zod';
import { CredentialFieldView } from '../../../widget/schema';
import { EventSchemaFormat } from '../../definitions/event-schema';
import { parseAnswerPath, templatePaths } from './paths';

/**
 * The declarative connector format: an app described as JSON data (a file in `CONNECTORS_DIR`, or
 * one of the catalogue's in server/connectors/catalog/), turned into a `Connector` by runtime.ts.
 * Everything that varies per call is a template: `{{root.path}}` paths into what the call has in
 * scope (the action's `input`, the account's `credential`, …), never code. docs/connectors.md is
 * its reference; the schema here is the contract, and the types come from it.
 */

/** A string that may hold `{{…}}` paths; each must be well formed (the roots are checked per place, in runtime.ts). */
const Template = z.string().superRefine((text, ctx) => {
  for (const path of templatePaths(text)) {
    if (!parseAnswerPath(path)?.length) ctx.addIssue({ code: 'custom', message: `"{{${path}}}" is not a path (a.b[0].c)` });
  }
  if (/\{\{(?![^{}]*\}\})/.test(text)) ctx.addIssue({ code: 'custom', message: 'has a "{{" that is never closed' });
});

/** A path into a JSON answer: `results`, `paging.next.after`, `data[0].id`; `""` is the answer itself. */
const Path = z
  .string()
  .max(200)
  .refine((p) => parseAnswerPath(p) !== undefined, 'is not a path (a.b[0].c, ["@odata.nextLink"])');

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** One HTTP call, relative to the connector's base URL. Values in `path` are percent-encoded. */
export const RequestSpec = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  path: Template.refine((p) => p.startsWith('/'), "must start with '/': it is relative to the base URL"),
  /** Query parameters; one whose whole value is a path with no value (an optional input left out) is not sent. */
  query: z.record(z.string().min(1), Template).optional(),
  headers: z.record(z.string().regex(HEADER_NAME, 'is not a header name'), Template).optional(),
  /** A JSON value whose strings are templates: a string that is exactly one `{{…}}` takes the value's own type; a key whose value is absent is left out. */
  body: z.unknown().optional(),
  /** `json` (default) or `form` (`application/x-www-form-urlencoded`; an array is sent as repeated keys). */
  bodyType: z.enum(['json', 'form']).default('json'),
});
export type RequestSpec = z.output<typeof RequestSpec>;

/** How the pages of a list are read: a cursor from the answer, the `Link` header's `next`, or an offset. */
export const PaginationSpec = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('cursor'),
    /** Where the next page's cursor is: a path in the answer, or (with `from: "lastItem"`) in the page's last item (Stripe's `starting_after` = the last id). None (absent, null or "") ends the list. */
    cursor: Path,
    from: z.enum(['answer', 'lastItem']).default('answer'),
    /** A path in the answer that must be true for another page to follow (Stripe's `has_more`). */
    more: Path.optional(),
    /** A path in the answer that is true on the last page (Zendesk's `end_of_stream`). */
    done: Path.optional(),
    /** The parameter that sends it. */
    param: z.string().min(1),
    in: z.enum(['query', 'body']).default('query'),
    maxPages: z.int().min(1).max(1000).default(50),
  }),
  z.strictObject({
    /** The next page's URL or path is in the answer (Salesforce's `nextRecordsUrl`, Graph's `@odata.nextLink`); it must stay on the base URL's origin. */
    type: z.literal('nextUrl'),
    next: Path,
    /** A path in the answer that is true on the last page, for an app that gives a next URL even then. */
    done: Path.optional(),
    maxPages: z.int().min(1).max(1000).default(50),
  }),
  z.strictObject({
    /** RFC 8288 `Link: <url>; rel="next"` (Shopify, GitHub); the next URL must stay on the base URL's origin. */
    type: z.literal('link'),
    maxPages: z.int().min(1).max(1000).default(50),
  }),
  z.strictObject({
    type: z.literal('offset'),
    /** The parameter that says where a page starts, and the one that says how many (each sent in the query). */
    param: z.string().min(1),
    limitParam: z.string().min(1).optional(),
    /** Items asked per page; a shorter page is the last. */
    size: z.int().min(1).max(1000),
    /** `items` (offset 0, 100, 200…) or `pages` (page 1, 2, 3…, from `start`). */
    unit: z.enum(['items', 'pages']).default('items'),
    start: z.int().min(0).default(0),
    in: z.enum(['query', 'body']).default('query'),
    maxPages: z.int().min(1).max(1000).default(50),
  }),
]);
export type PaginationSpec = z.output<typeof PaginationSpec>;

/** A condition on an error answer's body: the value at `path` is one of `in`. */
const BodyMatch = z.strictObject({ path: Path, in: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1) });

/**
 * How the app's error answers read. `message`: paths tried in order for the app's own words. `rules`:
 * the first that matches an error answer (its status, and optionally its body) decides whether it is
 * retried; without one, 408, 429 and 5xx are, other 4xx are not. `failure`: a 2xx whose body
 * matches is a failure (Slack's `{ ok: false }`), retried only if `retry` says so.
 */
export const ErrorSpec = z.strictObject({
  message: z.array(Path).default([]),
  rules: z
    .array(z.strictObject({ status: z.union([z.int().min(400).max(599), z.array(z.int().min(400).max(599)).min(1)]).optional(), body: BodyMatch.optional(), retry: z.boolean() }))
    .default([]),
  failure: z.strictObject({ body: BodyMatch, retry: z.boolean().default(false) }).optional(),
});
export type ErrorSpec = z.output<typeof ErrorSpec>;

/** How an answer becomes the list the call is about: the items at `items` (`""`: the answer is the list). */
const ItemsPath = Path;

export const ActionSpec = z.strictObject({
  description: z.string().min(1),
  /** The block's input, in the event-schema format of triggers (`{ "email": "String", "phone": "String?" }`). */
  input: EventSchemaFormat.default({}),
  request: RequestSpec,
  /** The part of the answer that is the block's output; the whole answer when left out. With `pagination`: the items of every page. */
  output: Path.optional(),
  /** Reads every page (up to `maxPages`) and answers the items at `output` of each, as one list. */
  pagination: PaginationSpec.optional(),
});
export type ActionSpec = z.output<typeof ActionSpec>;

/** A select field's options, loaded with the account: label and value are paths in each item. */
export const OptionSourceSpec = z.strictObject({
  request: RequestSpec,
  items: ItemsPath,
  /** The item's label: a path, or a template over `item` (`"#{{item.name}}"`). */
  label: z.string().min(1),
  value: Path,
  pagination: PaginationSpec.optional(),
  /** Parameters the source takes from other fields of the workflow (`dependsOn`), as `{{params.<name>}}`. */
  params: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([]),
});
export type OptionSourceSpec = z.output<typeof OptionSourceSpec>;

/**
 * Records new or changed since the last round, for the `poll` trigger. The request sees
 * `{{checkpoint}}`: the greatest `version` of the records seen so far (`initial` before the first
 * round), and `{{params.<name>}}`: the trigger's `params` (Airtable's base and table). Versions must
 * order as text (ISO-8601 times in one zone, or numbers of the same length). `initial` may say
 * `{{now.iso}}`, `{{now.unix}}` (seconds) or `{{now.ms}}`: a first round that starts from the time
 * the installation first polls, not from the app's whole history.
 */
export const ListSourceSpec = z.strictObject({
  label: z.string().min(1),
  request: RequestSpec,
  records: ItemsPath,
  key: Path,
  version: Path,
  initial: Template.default(''),
  params: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([]),
  pagination: PaginationSpec.optional(),
});
export type ListSourceSpec = z.output<typeof ListSourceSpec>;

/**
 * How a delivery proves where it came from. `hmac`: the HMAC of `signed` (default the raw body;
 * `{{body}}`, `{{headers.<name>}}` and, with `pairs`, `{{pairs.<key>}}` are in scope) with the secret,
 * compared with the header (after `prefix`, in `encoding`). `pairs` reads a header like Stripe's
 * `t=…,v1=…`: the signature is the pair `signature` names. `secret`: a shared value in a header.
 */
export const VerifySpec = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hmac'),
    header: z.string().regex(HEADER_NAME).toLowerCase(),
    algorithm: z.enum(['sha256', 'sha1', 'sha512']).default('sha256'),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    prefix: z.string().default(''),
    signed: Template.default('{{body}}'),
    pairs: z.strictObject({ signature: z.string().min(1), timestamp: z.string().min(1).optional(), toleranceSeconds: z.int().min(1).default(300) }).optional(),
  }),
  z.strictObject({ type: z.literal('secret'), header: z.string().regex(HEADER_NAME).toLowerCase() }),
]);
export type VerifySpec = z.output<typeof VerifySpec>;

/**
 * The app's webhooks, for the `app` trigger. `subscribe` sees `{{subscription.event}}`,
 * `{{subscription.url}}` and `{{subscription.secret}}` (a random secret the engine keeps);
 * `unsubscribe` sees `{{subscriptionId}}`. `secret` says what deliveries are signed with: the
 * engine's secret (sent in the subscribe request), one the app answers (`answer`: its path), or one
 * of the account (`credential`: a credential field, such as a custom app's signing secret).
 */
export const WebhooksSpec = z.strictObject({
  events: z.array(z.string().min(1)).min(1),
  subscribe: z.strictObject({ request: RequestSpec, id: Path, secret: Path.optional() }),
  unsubscribe: z.strictObject({ request: RequestSpec }),
  secret: z.discriminatedUnion('from', [
    z.strictObject({ from: z.literal('engine') }),
    z.strictObject({ from: z.literal('answer'), path: Path }),
    z.strictObject({ from: z.literal('credential'), field: z.string().min(1) }),
  ]),
  verify: VerifySpec,
  /** What names a delivery across the app's retries: a path in the payload, or a header. */
  deliveryId: z.union([z.strictObject({ path: Path }), z.strictObject({ header: z.string().regex(HEADER_NAME).toLowerCase() })]).optional(),
  /** What the blocks see as `event`: the payload (default), or a request made with `{{payload.…}}` in scope. */
  fetch: z.strictObject({ request: RequestSpec, output: Path.optional() }).optional(),
});
export type WebhooksSpec = z.output<typeof WebhooksSpec>;

/** How a credential authenticates a call: headers, query parameters or HTTP basic auth, templates over `credential`. */
const Apply = z.strictObject({
  headers: z.record(z.string().regex(HEADER_NAME), Template).optional(),
  query: z.record(z.string().min(1), Template).optional(),
  basic: z.strictObject({ username: Template, password: Template }).optional(),
});

export const AuthSpec = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({
    type: z.literal('apiKey'),
    fields: z.array(CredentialFieldView.extend({ pattern: z.string().optional(), patternMessage: z.string().optional() })).min(1),
    apply: Apply,
  }),
  z.strictObject({
    type: z.literal('oauth2'),
    /** `<ENV>_CLIENT_ID` and `<ENV>_CLIENT_SECRET` configure the client; `<ENV>_OAUTH_URL` overrides `authorizeUrl`. */
    env: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'is an environment variable prefix (HUBSPOT)'),
    authorizeUrl: z.url(),
    /** Absolute, or a path under the base URL (so a test's base URL also moves it). */
    tokenUrl: z.string().refine((u) => u.startsWith('/') || z.url().safeParse(u).success, 'is a URL or a path under the base URL'),
    scopes: z.array(z.string()).default([]),
    scopeSeparator: z.enum([' ', ',']).default(' '),
    /** Further parameters of the authorization URL (Google's `access_type: "offline"` and `prompt: "consent"`, without which no refresh token comes). */
    authorizeParams: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    /** Fields of the token answer kept with the token (Salesforce's `instance_url`), as `{{credential.<field>}}`. */
    tokenFields: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([]),
    apply: Apply.default({ headers: { authorization: 'Bearer {{credential.accessToken}}' } }),
  }),
]);
export type AuthSpec = z.output<typeof AuthSpec>;

export const ConnectorSpec = z.strictObject({
  $schema: z.string().optional(),
  id: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'is lower-case letters, digits and dashes, starting with a letter'),
  name: z.string().min(1).max(80),
  icon: z.string().min(1),
  /** Why it is shaped the way it is, the docs it follows: for readers, unused. */
  docs: z.string().optional(),
  /**
   * The API's base URL; `{{credential.<field>}}` parts name the account's host (Shopify's shop, Zendesk's
   * subdomain), each value a host label. `env` overrides it whole (tests point it at a fake).
   */
  baseUrl: z.strictObject({ default: Template, env: z.string().regex(/^[A-Z][A-Z0-9_]*$/) }),
  auth: z.array(AuthSpec).min(1),
  /** Headers every call sends (`accept`, an API version). */
  headers: z.record(z.string().regex(HEADER_NAME), Template).default({}),
  errors: ErrorSpec.default({ message: [], rules: [] }),
  /** The call that proves an account works when it is connected, and where the account's name is in its answer. */
  test: z.strictObject({ request: RequestSpec, displayName: z.string().optional() }).optional(),
  actions: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), ActionSpec).refine((a) => Object.keys(a).length > 0, 'needs at least one action'),
  optionSources: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), OptionSourceSpec).default({}),
  listSources: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), ListSourceSpec).default({}),
  webhooks: WebhooksSpec.optional(),
  /** Calls of `throttle.key`-equal input start at least `everyMs` apart (`key` is a template over `input` and `credential`). */
  throttles: z.record(z.string(), z.strictObject({ key: Template, everyMs: z.int().min(1).max(3_600_000) })).default({}),
});
export type ConnectorSpec = z.output<typeof ConnectorSpec>;

import { z } from 'zod';
import type { HttpClient } from '../engine/http';
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
  /** Returns the output later blocks can map (`{{steps.<blockId>.output…}}`); throws to fail. */
  run(input: z.output<S>, ctx: ConnectorContext): Promise<unknown>;
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
  actions: Record<string, ConnectorAction>;
  oauth?: ConnectorOAuth;
  optionSources?: Record<string, OptionSource>;
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

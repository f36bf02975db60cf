// The widget's public types, self-contained: they import nothing (no zod, no Preact, no signals),
// so a consumer with only TypeScript installed can use them. `build/package.ts` emits them as the
// npm package's `index.d.ts`; `widget/types-check.ts` fails `tsc` when they drift from the
// implementation (widget/index.ts, the zod schemas of widget/schema.ts): a change to the API, its
// options, its strings or its wire shapes is made here too.
//
// Type-only: nothing here exists at run time (`AlloyError` is declared, not defined); code of this
// repository imports the real class from widget/index.ts.

/** One step of a workflow, as the integrations list shows it. */
export interface WorkflowBlock {
  name: string;
  id: string;
  type: string;
  icon: string;
}

/** A workflow of an integration, with the user's installation state. */
export interface Workflow {
  workflowId: string;
  integrationId: string;
  name: string;
  description?: string;
  /** The user has installed it. */
  installed: boolean;
  /** The published version. */
  version: number;
  /** The version the user installed; `null` when not installed. */
  installedVersion: number | null;
  /** Installed and not paused. */
  active: boolean;
  /** The account the installation uses; `null` when not installed or when the app needs none. */
  credentialId?: string | null;
  trigger: { type: string; event?: string };
  blocks: WorkflowBlock[];
}

/** A connected account's state: `deleted` is what an installation whose account was deleted shows. */
export type ConnectionStatus = 'healthy' | 'refreshing' | 'needs_reconnect' | 'deleted';

/** A connected account (never its secret). */
export interface Connection {
  credentialId: string;
  app: string;
  /** The account as the app named it when connected: the Slack team, the store, the database host. */
  displayName: string | null;
  status: ConnectionStatus;
  /** The last error with this account, and when (ISO 8601); null once it works. */
  lastError: string | null;
  lastErrorAt: string | null;
}

/** An integration as `getIntegrations()` answers it (the server's `GET /integrations` shape). */
export interface Integration {
  integrationId: string;
  /** The app's name, as shown to the user (`Slack`). */
  app: string;
  description?: string;
  /** One of its workflows is installed. */
  installed: boolean;
  /** The account an installed workflow uses must be connected again. */
  needsReconnect: boolean;
  /** The accounts the installed workflows use, with their state. */
  connections: Connection[];
  /** The app's icon URL. */
  icon: string;
  workflows: Workflow[];
}

/** What went wrong, as a string callers can `switch` on. */
export type AlloyErrorCode =
  | 'no_token'
  | 'token_expired'
  | 'network'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'invalid_request'
  | 'conflict'
  | 'rate_limited'
  | 'server'
  | 'popup_blocked'
  | 'popup_closed';

/**
 * The one error the widget rejects with. Misusing the API (a missing option, a wrong type) is a
 * `TypeError` instead.
 * @example try { await Alloy.getIntegrations() } catch (e) { if (e instanceof AlloyError && e.code === 'token_expired') … }
 */
export declare class AlloyError extends Error {
  readonly code: AlloyErrorCode;
  /** The fields the server named, `{ path: 'config.channel', message }`. */
  readonly details?: Array<{ path: string; message: string }>;
  /** When the server said when to try again (429, 503 `Retry-After`): in milliseconds. */
  readonly retryAfter?: number;
  /**
   * The server's own `error.code` when it sent one: finer than `code` (`upstream_error`,
   * `upgrade_blocked`, `invalid_json`…). `'oauth'`: an OAuth sign-in failed (`code` is `unauthorized`).
   */
  readonly serverCode?: string;
  constructor(code: AlloyErrorCode, message: string, details?: Array<{ path: string; message: string }>, retryAfter?: number, serverCode?: string);
}

/**
 * The widget's look. Each token is also a CSS custom property the page can set, `--alloy-<token>`
 * (`onAccent` is `--alloy-on-accent`); a token given here wins over the page's. A value holding
 * `; { } < > \` or a comment is refused with a `TypeError`.
 */
export interface Theme {
  /** The main buttons, the secondary buttons' text, the checkbox, and the focus ring unless `focus` is given. */
  accent?: string;
  /** The text on `accent` (the main buttons). */
  onAccent?: string;
  /** The dialog's, the cards' and the fields' background. */
  surface?: string;
  text?: string;
  /** Hints, the close button, the "Not installed" badge. */
  muted?: string;
  /** The fields' and the cards' border. */
  border?: string;
  /** Errors and alerts. */
  danger?: string;
  /** The "Installed" badge. */
  success?: string;
  /** The keyboard focus ring. */
  focus?: string;
  /** The dialog's and the cards' corner radius. */
  radius?: string;
  font?: string;
  /** The spacing unit (default 4px). */
  spacing?: string;
  /** `light` (the default), `dark`, or `auto`: the page's `prefers-color-scheme`. */
  colorScheme?: 'light' | 'dark' | 'auto';
}

/**
 * The error codes a locale words a message for (`AlloyError.serverCode`, else its `code`); without
 * one, the user reads the server's own words.
 */
export type ErrorStringKey =
  | 'unauthorized'
  | 'not_found'
  | 'server'
  | 'network'
  | 'forbidden'
  | 'invalid_request'
  | 'rate_limited'
  | 'upstream_error'
  | 'unavailable'
  | 'payload_too_large'
  | 'upgrade_blocked'
  | 'credential_refused'
  | 'oauth';

/**
 * Every word the widget shows; override any with the `strings` option. `{app}` and `{label}` are
 * filled in, and in an error message `{message}`: the server's words (`credential_refused`'s are
 * the app's reason for refusing the account). The error messages (`ErrorStringKey`) are optional.
 */
export interface Strings extends Partial<Record<ErrorStringKey, string>> {
  close: string;
  loading: string;
  connectTitle: string;
  connectWith: string;
  orUseKey: string;
  connect: string;
  remove: string;
  popupBlocked: string;
  popupClosed: string;
  settingsTitle: string;
  install: string;
  save: string;
  installing: string;
  doneTitle: string;
  doneBody: string;
  signingSecret: string;
  required: string;
  requiredTarget: string;
  choose: string;
  optionsFailed: string;
  retry: string;
  integrationsEmpty: string;
  integrationsFailed: string;
  search: string;
  installed: string;
  notInstalled: string;
  updateAvailable: string;
  upgrade: string;
  active: string;
  configure: string;
  uninstall: string;
  reconnect: string;
  reconnectAccount: string;
  accountDeleted: string;
  useAccount: string;
  connectAnother: string;
}

/** What the `callback` of `install`, `edit`, `update` and `authenticate` is called with, exactly once. */
export interface InstallResult {
  /** `false` when the user closed the modal first. */
  success: boolean;
  installationId?: string;
  workflowIds?: string[];
  /** The account connected (or chosen). */
  credentialId?: string;
  /** Secrets made by this install for destinations the user chose (shown once, in the last step too): keep them now or never. */
  signingSecrets?: Array<{ installationId: string; workflowId: string; blockId: string; secret: string }>;
}

/** The older name of `InstallResult` (widget/index.ts's). */
export type InstallResultCallback = InstallResult;

/** The modal's options, common to `install`, `edit`, `update` and `authenticate`. */
export interface ModalOptions {
  callback?: (result: InstallResult) => void;
  onClose?: () => void;
  /** A failure after the call returned (the promise rejects too, for those who await it). */
  onError?: (error: AlloyError | Error) => void;
  title?: string;
  theme?: Theme;
  strings?: Partial<Strings>;
  /** The language, as a BCP 47 tag (`de`, `pt-BR`…); default: the page's `<html lang>`. The `strings` option wins over it. */
  locale?: string;
  /** Install without showing the modal when nothing needs asking (an account is connected and every field has a value). */
  hide?: boolean;
}

/** A field's value to start with, by field name (Alloy's `preFilledValues`: `[{ name, value }]`, or an object). */
export type PreFilledValues = Record<string, unknown> | Array<{ name?: string; fieldName?: string; value: unknown }>;

/** `install`'s options: `integrationId` or `workflowIds`, and the modal's options. */
export type InstallOptions = ModalOptions & {
  integrationId?: string;
  /** Some of the integration's workflows (one id or several); alone, the integration that has them. */
  workflowIds?: string | string[];
  /** Alloy's option: the version of each workflow to install; only the published one can be. */
  versionIds?: string | number | Array<string | number>;
  preFilledValues?: PreFilledValues;
  /** Ask for the account even when one is connected. */
  alwaysShowAuthentication?: boolean;
};

/** `authenticate`'s options: an app (`'slack'`) or an integration, and the modal's options. */
export type AuthenticateOptions = ModalOptions & { app?: string; integrationId?: string };

/** `renderIntegrations`'s options. */
export interface PageOptions {
  theme?: Theme;
  strings?: Partial<Strings>;
  /** The language, as a BCP 47 tag (`de`, `pt-BR`…; default: the page's `<html lang>`), of the page and of the modal it opens. */
  locale?: string;
  /** Options of the modal the page opens (callback, onClose, onError, title, theme, strings, locale). */
  modal?: ModalOptions;
}

/** Which installations `deactivate`, `reactivate` and `uninstall` act on. */
export type InstallationTarget = { installationId: string } | { integrationId: string } | { workflowId: string };

/** Gives a fresh user token (from your backend) whenever the current one expires or is refused. */
export type TokenProvider = () => Promise<string> | string;

/** The kinds of change `subscribe` reports. */
export type AlloyEventName = 'installed' | 'uninstalled' | 'updated' | 'credential';

/** A change made through the widget: an install, a reconfiguration, a pause or resume, an uninstall, an account connected or removed. */
export interface AlloyEvent {
  type: AlloyEventName;
  integrationId?: string;
  installationIds?: string[];
  workflowIds?: string[];
  credentialId?: string;
}

export type AlloyListener = (event: AlloyEvent) => void;

/** What `sendAppEvent` resolves with: sent now, or kept in the outbox to go out later by itself. */
export type SendResult = { status: 'delivered'; id: string; eventId: string; executionIds: string[] } | { status: 'queued'; id: string };

/** What a flush did, and what the outbox still holds, user by user. */
export interface OutboxReport {
  /** Events sent by this flush. */
  sent: number;
  /** Events still waiting: the current user's while offline, other users' until their next `setToken`. */
  held: Array<{ userId: string; count: number }>;
}

/**
 * Every method of the widget: what `Alloy()` returns, and what the ES module exports by name. The
 * instances share one session (one token, one outbox): a page has one user.
 */
export interface AlloyInstance {
  /** The user token your backend got from `GET /users/:userId/token`. */
  setToken: (token: string) => void;
  /** Called for a fresh token when the current one expires (or the server says 401). */
  setTokenProvider: (provider: TokenProvider | undefined) => void;
  /** The server (default: the origin the script was loaded from). */
  setBaseUrl: (url: string) => void;
  /** Alloy's `setRegion('us' | 'eu')`: a region names a base URL, given on the script tag or here once. */
  setRegion: (region: string, url?: string) => void;
  /** Opens the modal to install an integration (or some of its workflows); a no-op while one is open. */
  install: (options: InstallOptions) => Promise<void>;
  /** Reopens the modal for an installed integration, the account step first. */
  edit: (options: InstallOptions) => Promise<void>;
  /** Alloy's other name for `edit`. */
  update: (options: InstallOptions) => Promise<void>;
  /**
   * Connects an account of an app only (or lets the user pick one of theirs); `callback({ success,
   * credentialId })`. Resolves with that `credentialId`, or undefined when the user closes the modal first.
   * @example const credentialId = await Alloy.authenticate({ app: 'slack' })
   */
  authenticate: (options: AuthenticateOptions) => Promise<string | undefined>;
  /** Closes the modal if one is open. */
  close: () => void;
  /** The user's integrations. */
  getIntegrations: () => Promise<Integration[]>;
  /** Every workflow of every integration, with the user's installation state. */
  getWorkflows: () => Promise<Workflow[]>;
  /** Pauses installed workflows. */
  deactivate: (target: InstallationTarget) => Promise<void>;
  /** Resumes paused workflows. */
  reactivate: (target: InstallationTarget) => Promise<void>;
  /** Removes installed workflows. */
  uninstall: (target: InstallationTarget) => Promise<void>;
  /** Sends an app event as the user, through the IndexedDB outbox. */
  sendAppEvent: (event: string, data?: Record<string, unknown>) => Promise<SendResult>;
  /** Sends the current user's queued app events now. */
  flushOutbox: () => Promise<OutboxReport>;
  /** Renders the integrations page into `element`; returns a function that removes it. */
  renderIntegrations: (element: Element, options?: PageOptions) => () => void;
  /** Calls `listener` on each change of that kind (`'*'`: every kind); returns a function that unsubscribes. */
  subscribe: (event: AlloyEventName | '*', listener: AlloyListener) => () => void;
  /** Fetches the UI bundle now, or when the page is next idle. */
  preload: (when?: 'now' | 'idle') => Promise<void>;
  AlloyError: typeof AlloyError;
}

/**
 * The script tag's `window.Alloy`: every method, and itself Alloy's factory (`const alloy = Alloy()`).
 * @example declare global { interface Window { Alloy: AlloyApi } }
 */
export interface AlloyApi extends AlloyInstance {
  (): AlloyInstance;
}

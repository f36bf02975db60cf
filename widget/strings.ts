import type { AlloyError } from './errors';

/** Every word the widget shows; override any with the `strings` option. */
export const defaultStrings = {
  close: 'Close',
  loading: 'Loading…',
  connectTitle: 'Connect your {app} account',
  connectWith: 'Connect with {app}',
  orUseKey: 'Or enter the details',
  connect: 'Connect',
  remove: 'Remove',
  popupBlocked: 'The sign-in window was blocked. Allow pop-ups for this page and try again.',
  popupClosed: 'The sign-in window was closed before the account was connected.',
  settingsTitle: 'Settings',
  install: 'Install',
  save: 'Save',
  installing: 'Saving…',
  doneTitle: '{app} is ready',
  doneBody: 'All set. You can close this window.',
  signingSecret: 'Signing secret: copy it now, it is shown only once',
  required: '{label} is required',
  requiredTarget: '{label} (required)',
  choose: 'Choose…',
  optionsFailed: 'Could not load the choices.',
  retry: 'Retry',
  integrationsEmpty: 'No integrations are available yet.',
  integrationsFailed: 'Could not load the integrations.',
  search: 'Search integrations',
  installed: 'Installed',
  notInstalled: 'Not installed',
  updateAvailable: 'Update available',
  upgrade: 'Update',
  active: 'Active',
  configure: 'Configure',
  uninstall: 'Uninstall',
  reconnect: 'Reconnect needed',
  /** The button that connects an account needing it again, in place: its installations are kept. */
  reconnectAccount: 'Reconnect',
  /** An installation's account that was deleted: it cannot be reconnected, only replaced. */
  accountDeleted: 'Account deleted',
  useAccount: 'Use this account',
  connectAnother: 'Connect another account',
};

/**
 * The codes a locale words an error message for (`AlloyError.serverCode`, else its `code`):
 * English has none, so English users read the server's own, precise words (unless `strings` sets
 * them). `no_token` and `token_expired` read as `unauthorized` (the session is over), `conflict`
 * as `not_found` (the page is out of date), any other code of the server's as `server`; `oauth`
 * is a failed sign-in; `popup_blocked` and `popup_closed` are worded by `popupBlocked` and `popupClosed`.
 * `credential_refused` (the app refused the account) says `{message}`: the server's words are
 * the app's own reason ("Slack says: invalid_auth"), which no translation could give.
 */
export type ErrorKey =
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

export type Strings = typeof defaultStrings & { [K in ErrorKey]?: string };

/** The codes that read as another's message: the same in every language, so no locale repeats it. */
const GROUP: Record<string, ErrorKey> = { no_token: 'unauthorized', token_expired: 'unauthorized', conflict: 'not_found' };

/**
 * What the user reads for an error: the message `strings` has for its code (see `ErrorKey`), its
 * `{message}` the error's own words; else the error's own words.
 */
export function say(error: Error, strings: Strings): string {
  const code = (error as AlloyError).serverCode ?? (error as AlloyError).code;
  return fill(strings[GROUP[code] ?? (code as ErrorKey)] ?? (((error as AlloyError).serverCode && strings.server) || '{message}'), { message: error.message });
}

/** Fills `{name}` placeholders. */
export const fill = (text: string, values: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, k: string) => values[k] ?? '');

import { defaultStrings } from '../strings';
import type { Locale } from './types';

const reload = 'Reload the page.';
const later = 'Try again later.';

/**
 * English: built into the UI as `defaultStrings`, without these error messages, so that English
 * users read the server's own, precise words. These are the English the other locales translate,
 * and what `strings` may set to show friendlier words in English too.
 */
export default {
  ...defaultStrings,
  unauthorized: `Your session has expired. ${reload}`,
  not_found: `This information is out of date. ${reload}`,
  /** For what the user cannot fix: the server's fault, or the widget's or the host page's bug. */
  server: `Something went wrong. ${later}`,
  network: 'No connection. Check your network and try again.',
  forbidden: 'You do not have access to this.',
  invalid_request: 'Check your entries and try again.',
  rate_limited: 'Too many attempts. Wait a moment and try again.',
  upstream_error: `The app did not answer. ${later}`,
  unavailable: `The service is briefly unavailable. ${later}`,
  payload_too_large: 'This is too large to send.',
  upgrade_blocked: 'Reinstall to apply this update.',
  credential_refused: 'The app refused the account: {message}',
  oauth: 'The sign-in failed. Try again.',
} satisfies Locale;

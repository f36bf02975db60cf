import { defaultStrings } from '../strings';
import type { Locale } from './types';

const reload = 'Reload the page.';
const later = 'Try again later.';
/** For what the user cannot fix: the server's fault, or the widget's or the host page's bug. */
const failed = `Something went wrong. ${later}`;
const session = `Your session has expired. ${reload}`;
const stale = `This information is out of date. ${reload}`;

export default {
  strings: defaultStrings,
  errors: {
    no_token: session,
    token_expired: session,
    unauthorized: session,
    not_found: stale,
    conflict: stale,
    server: failed,
    internal: failed,
    invalid_json: failed,
    unsupported_media_type: failed,
    method_not_allowed: failed,
    unknown_event: failed,
    network: 'No connection. Check your network and try again.',
    forbidden: 'You do not have access to this.',
    invalid_request: 'Check your entries and try again.',
    rate_limited: 'Too many attempts. Wait a moment and try again.',
    upstream_error: `The app did not answer. ${later}`,
    unavailable: `The service is briefly unavailable. ${later}`,
    payload_too_large: 'This is too large to send.',
    upgrade_blocked: 'Reinstall to apply this update.',
    popup_blocked: defaultStrings.popupBlocked,
    popup_closed: defaultStrings.popupClosed,
  },
} satisfies Locale;

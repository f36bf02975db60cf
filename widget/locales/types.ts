import type { AlloyErrorCode } from '../errors';
import type { Strings } from '../strings';

/**
 * Every error code a locale can word for the end user: the widget's own (`AlloyErrorCode`) and
 * the server's (`ErrorCode` in server/errors.ts), which the API sends as `error.code`.
 */
export type LocaleErrorCode =
  | AlloyErrorCode
  | 'invalid_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'method_not_allowed'
  | 'unknown_event'
  | 'upgrade_blocked'
  | 'unavailable'
  | 'upstream_error'
  | 'internal';

/** A built-in translation: every UI string, and a short end-user sentence per error code. */
export type Locale = { strings: Strings; errors: Partial<Record<LocaleErrorCode, string>> };

/** The built-in locales, each its own module (`./de`, `./pt-BR`…) loaded only when used. */
export const LOCALES = ['en', 'de', 'fr', 'es', 'pt-BR', 'ja'] as const;

export type LocaleName = (typeof LOCALES)[number];

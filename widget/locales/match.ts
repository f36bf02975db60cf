import { LOCALES, type LocaleName } from './types';

/**
 * The built-in locale for a BCP 47 tag such as a page's `lang`, by its language alone and
 * case-insensitively: `de-AT` → `de`, any `pt` → `pt-BR`, `ja-JP` → `ja`; unknown or empty → `en`.
 */
export function matchLocale(tag: string | undefined | null): LocaleName {
  const lang = tag?.trim().toLowerCase().split(/[-_]/)[0];
  // By the first two letters: every built-in locale's language has two (`pt-BR` is Brazil's `pt`).
  return LOCALES.find((l) => l.slice(0, 2) === lang) ?? 'en';
}

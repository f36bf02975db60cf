import type { Strings } from '../strings';

/**
 * A built-in translation, as `alloy-locale-<name>.json` holds it: a whole `strings` option, every
 * word of `defaultStrings` and a message per `ErrorKey` (the codes that share one are grouped in
 * the UI, once for every language: `GROUP` in ../strings.ts).
 */
export type Locale = Required<Strings>;

/** The built-in locales, each its own module (`./de`, `./pt-BR`…) loaded only when used. */
export const LOCALES = ['en', 'de', 'fr', 'es', 'pt-BR', 'ja'] as const;

export type LocaleName = (typeof LOCALES)[number];

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../server/errors';
import type { AlloyErrorCode } from '../../widget/errors';
import de from '../../widget/locales/de';
import en from '../../widget/locales/en';
import es from '../../widget/locales/es';
import fr from '../../widget/locales/fr';
import ja from '../../widget/locales/ja';
import { matchLocale } from '../../widget/locales/match';
import ptBR from '../../widget/locales/pt-BR';
import { LOCALES, type LocaleErrorCode, type LocaleName } from '../../widget/locales/types';
import { defaultStrings, type Strings } from '../../widget/strings';

/** Every built-in locale, typed so that `tsc` fails when one lacks a string or an error code. */
const locales: Record<LocaleName, { strings: Strings; errors: Record<LocaleErrorCode, string> }> = { en, de, fr, es, 'pt-BR': ptBR, ja };
const translated = Object.entries(locales).filter(([name]) => name !== 'en');

/** Compile-time: every code the server sends, and every code the widget throws, has a message. */
type Uncovered = Exclude<ErrorCode | AlloyErrorCode, LocaleErrorCode>;
const everyCodeCovered: [Uncovered] extends [never] ? true : false = true;
const CODES = Object.keys(en.errors) as LocaleErrorCode[];

/** Strings a locale may leave as in English (a proper name, a loanword the language uses as is), as `locale.key`. */
const SAME_AS_ENGLISH = new Set<string>([]);

/** Each locale's budget: it ships as its own file, loaded only when used. */
const MAX_GZIP_BYTES = 1024;

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('built-in locales', () => {
  it('lists a module for each locale, English included', () => {
    expect(Object.keys(locales).sort()).toEqual([...LOCALES].sort());
    expect(en.strings).toBe(defaultStrings);
  });

  it('covers every error code', () => {
    expect(everyCodeCovered).toBe(true);
    expect(CODES.length).toBeGreaterThanOrEqual(21);
  });

  it.each(translated)('%s: has exactly the keys of defaultStrings', (_, locale) => {
    expect(Object.keys(locale.strings).sort()).toEqual(Object.keys(defaultStrings).sort());
  });

  it.each(Object.entries(locales))('%s: keeps every placeholder, and only those', (_, locale) => {
    for (const [key, english] of Object.entries(defaultStrings)) {
      expect(placeholders(locale.strings[key as keyof Strings]), key).toEqual(placeholders(english));
    }
    for (const [code, message] of Object.entries(locale.errors)) expect(placeholders(message), code).toEqual([]);
  });

  it.each(Object.entries(locales))('%s: has a message for every error code, and no other', (_, locale) => {
    expect(Object.keys(locale.errors).sort()).toEqual([...CODES].sort());
    for (const code of CODES) expect(locale.errors[code].trim(), code).not.toBe('');
    for (const [key, text] of Object.entries(locale.strings)) expect(text.trim(), key).not.toBe('');
  });

  it.each(translated)('%s: translates every string and message', (name, locale) => {
    const same = [
      ...Object.entries(locale.strings).filter(([key, text]) => text === defaultStrings[key as keyof Strings]),
      ...Object.entries(locale.errors).filter(([code, text]) => text === en.errors[code as LocaleErrorCode]),
    ].map(([key]) => `${name}.${key}`);
    expect(same.filter((k) => !SAME_AS_ENGLISH.has(k))).toEqual([]);
  });

  it.each(Object.entries(locales))(`%s: is at most ${MAX_GZIP_BYTES} bytes gzipped`, (_, locale) => {
    expect(gzipSync(JSON.stringify(locale), { level: 9 }).length).toBeLessThanOrEqual(MAX_GZIP_BYTES);
  });
});

describe('matchLocale', () => {
  it.each([
    ['de', 'de'],
    ['de-AT', 'de'],
    ['DE-ch', 'de'],
    ['de_DE', 'de'],
    ['fr', 'fr'],
    ['fr-CA', 'fr'],
    ['es-419', 'es'],
    ['es-MX', 'es'],
    ['pt', 'pt-BR'],
    ['pt-PT', 'pt-BR'],
    ['pt-BR', 'pt-BR'],
    ['PT-br', 'pt-BR'],
    ['ja', 'ja'],
    ['ja-JP', 'ja'],
    [' ja-JP ', 'ja'],
    ['en', 'en'],
    ['EN-gb', 'en'],
    ['en-US', 'en'],
    ['zh-CN', 'en'],
    ['nl', 'en'],
    ['deu', 'en'],
    ['german', 'en'],
    ['d', 'en'],
    ['x-private', 'en'],
    ['', 'en'],
    ['-', 'en'],
    [undefined, 'en'],
    [null, 'en'],
  ] as const)('%j → %s', (tag, expected) => {
    expect(matchLocale(tag)).toBe(expected);
  });
});

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../server/errors';
import { AlloyError, type AlloyErrorCode } from '../../widget/errors';
import de from '../../widget/locales/de';
import en from '../../widget/locales/en';
import es from '../../widget/locales/es';
import fr from '../../widget/locales/fr';
import ja from '../../widget/locales/ja';
import { matchLocale } from '../../widget/locales/match';
import ptBR from '../../widget/locales/pt-BR';
import { LOCALES, type Locale, type LocaleName } from '../../widget/locales/types';
import { defaultStrings, say, type ErrorKey, type Strings } from '../../widget/strings';

/** Every built-in locale, typed (`Locale`) so that `tsc` fails when one lacks a string or an error message. */
const locales: Record<LocaleName, Locale> = { en, de, fr, es, 'pt-BR': ptBR, ja };
const translated = Object.entries(locales).filter(([name]) => name !== 'en');

const WORDS = Object.keys(defaultStrings) as Array<keyof typeof defaultStrings>;
const ERROR_KEYS = Object.keys(en).filter((k) => !(k in defaultStrings)) as ErrorKey[];

/**
 * Every code the user may see, from the server (`error.code`, kept as `serverCode`) and from the
 * widget (`code`), with what a locale words it by: typed, so that `tsc` fails when a code is added
 * and not listed here.
 */
const SERVER_CODES: Record<ErrorCode, ErrorKey> = {
  invalid_request: 'invalid_request',
  invalid_json: 'server',
  unsupported_media_type: 'server',
  payload_too_large: 'payload_too_large',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not_found',
  method_not_allowed: 'server',
  unknown_event: 'server',
  conflict: 'not_found',
  upgrade_blocked: 'upgrade_blocked',
  rate_limited: 'rate_limited',
  unavailable: 'unavailable',
  upstream_error: 'upstream_error',
  credential_refused: 'credential_refused',
  internal: 'server',
};
/** The widget's own codes (no `serverCode`); the popup's are worded by `popupBlocked` and `popupClosed` already. */
const WIDGET_CODES: Record<AlloyErrorCode, ErrorKey | keyof typeof defaultStrings> = {
  no_token: 'unauthorized',
  token_expired: 'unauthorized',
  network: 'network',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not_found',
  invalid_request: 'invalid_request',
  conflict: 'not_found',
  rate_limited: 'rate_limited',
  server: 'server',
  popup_blocked: 'popupBlocked',
  popup_closed: 'popupClosed',
};

/** Strings a locale may leave as in English (a proper name, a loanword the language uses as is), as `locale.key`. */
const SAME_AS_ENGLISH = new Set<string>([]);

/** Each locale's budget: it ships as its own file, loaded only when used. */
const MAX_GZIP_BYTES = 1024;

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('built-in locales', () => {
  it('lists a module for each locale, English included', () => {
    expect(Object.keys(locales).sort()).toEqual([...LOCALES].sort());
  });

  it('English is the built-in strings, plus the English of every error message (which the widget shows only when `strings` sets it)', () => {
    expect(Object.fromEntries(WORDS.map((k) => [k, en[k]]))).toEqual(defaultStrings);
    for (const key of ERROR_KEYS) expect(key in defaultStrings, key).toBe(false);
    expect(ERROR_KEYS.sort()).toEqual(
      [...new Set([...Object.values(SERVER_CODES), ...Object.values(WIDGET_CODES)])]
        .filter((k) => !(k in defaultStrings))
        .concat('oauth')
        .sort(),
    );
  });

  it.each(translated)('%s: has exactly the keys of English: every word and every error message', (_, locale) => {
    expect(Object.keys(locale).sort()).toEqual(Object.keys(en).sort());
  });

  it.each(Object.entries(locales))('%s: keeps every placeholder, and only those; only credential_refused’s message has one, the app’s reason', (_, locale) => {
    for (const key of WORDS) expect(placeholders(locale[key]), key).toEqual(placeholders(defaultStrings[key]));
    for (const key of ERROR_KEYS) expect(placeholders(locale[key]), key).toEqual(key === 'credential_refused' ? ['message'] : []);
  });

  it.each(Object.entries(locales))('%s: says something for every key', (_, locale) => {
    for (const [key, text] of Object.entries(locale)) expect(text.trim(), key).not.toBe('');
  });

  it.each(translated)('%s: translates every string and message', (name, locale) => {
    const same = Object.entries(locale)
      .filter(([key, text]) => text === en[key as keyof Locale])
      .map(([key]) => `${name}.${key}`);
    expect(same.filter((k) => !SAME_AS_ENGLISH.has(k))).toEqual([]);
  });

  it.each(Object.entries(locales))(`%s: is at most ${MAX_GZIP_BYTES} bytes gzipped, as the JSON the build writes`, (_, locale) => {
    expect(gzipSync(JSON.stringify(locale), { level: 9 }).length).toBeLessThanOrEqual(MAX_GZIP_BYTES);
  });
});

describe('say: the message the user reads for an error', () => {
  const serverError = (code: string) => new AlloyError('invalid_request', `The server's own words for ${code}`, undefined, undefined, code);

  it.each(translated)('%s: words every server code with its message', (_, locale) => {
    for (const [code, key] of Object.entries(SERVER_CODES))
      expect(say(serverError(code), locale), code).toBe(locale[key].replace('{message}', `The server's own words for ${code}`));
  });

  it.each(translated)('%s: words an account the app refused with the app’s own reason in it', (_, locale) => {
    const refused = new AlloyError('invalid_request', 'Slack says: invalid_auth', undefined, undefined, 'credential_refused');
    const said = say(refused, locale);
    expect(said).toContain('Slack says: invalid_auth');
    expect(said).not.toBe('Slack says: invalid_auth');
    expect(said).not.toContain('{message}');
  });

  it.each(translated)('%s: words every widget code with its message (the popup ones are built from the strings already)', (_, locale) => {
    for (const [code, key] of Object.entries(WIDGET_CODES)) {
      const message = key in defaultStrings ? locale[key as keyof Strings]! : `The widget's words for ${code}`;
      expect(say(new AlloyError(code as AlloyErrorCode, message), locale), code).toBe(locale[key as keyof Locale]);
    }
  });

  it.each(translated)('%s: words a failed OAuth sign-in, a server code it does not know as the server’s fault, and keeps a TypeError’s words', (_, locale) => {
    expect(say(new AlloyError('unauthorized', 'access_denied', undefined, undefined, 'oauth'), locale)).toBe(locale.oauth);
    expect(say(serverError('gone_tomorrow'), locale)).toBe(locale.server);
    expect(say(new TypeError('Version 3 cannot be installed'), locale)).toBe('Version 3 cannot be installed');
  });

  it('English keeps the server’s and the widget’s own words, unless `strings` sets a message', () => {
    for (const code of Object.keys(SERVER_CODES)) expect(say(serverError(code), defaultStrings), code).toBe(`The server's own words for ${code}`);
    expect(say(new AlloyError('token_expired', 'The user token has expired'), defaultStrings)).toBe('The user token has expired');
    expect(say(new AlloyError('network', 'Could not reach the server'), defaultStrings)).toBe('Could not reach the server');
    const strings = { ...defaultStrings, unauthorized: 'Please sign in again.' };
    expect(say(new AlloyError('token_expired', 'The user token has expired'), strings)).toBe('Please sign in again.');
    expect(say(serverError('unauthorized'), strings)).toBe('Please sign in again.');
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

  it.each(LOCALES)('%s → itself', (name) => {
    expect(matchLocale(name)).toBe(name);
  });
});

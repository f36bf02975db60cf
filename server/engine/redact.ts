/** A value with the secrets it was made for redacted (see `redactor`). */
export type Redactor = (value: unknown) => unknown;

/**
 * Replaces every occurrence of the given secrets in a value (deeply, inside strings too) with
 * "[redacted]", so a step's logged input or output never shows a credential or a secret setting.
 * A secret is also found as an app spells it back in an error or an echo: URL-encoded, or
 * escaped inside a JSON string (see `spellings`). Made once for a set of secrets and used for
 * every value: working out the spellings costs about 6 µs a secret, more than redacting a small
 * value (an execution logs two values a step).
 */
export function redactor(secrets: readonly string[]): Redactor {
  const list = [...new Set(secrets.filter((s) => s.length >= 4).flatMap(spellings))].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  if (list.length === 0) return (value) => value;
  const inText = (text: string): string => {
    for (const s of list) if (text.includes(s)) text = text.split(s).join('[redacted]');
    return text;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return inText(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk;
}

/** `value` with `secrets` redacted, for a single value (`redactor` for several with the same secrets). */
export function redact(value: unknown, secrets: readonly string[]): unknown {
  return redactor(secrets)(value);
}

/**
 * The ways a secret turns up in what an app answers: as is; URL-encoded (encodeURIComponent, a
 * form, a URL's path or query); and each of those inside a JSON string, or inside a JSON string
 * inside a JSON string (a JSON request echoed in a JSON answer). A password with a quote, a space
 * or an accented letter would otherwise be logged in the clear in its encoded form.
 */
export function spellings(secret: string): string[] {
  const url = new URL('http://x/');
  url.pathname = `/${secret}`;
  const inPath = url.pathname.slice(1);
  url.search = `?${secret}`;
  const inQuery = url.search.slice(1);
  const bases = [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), inPath, inQuery];
  return [...new Set(bases.flatMap((s) => [s, jsonEscaped(s), jsonEscaped(jsonEscaped(s))]))];
}

const jsonEscaped = (s: string) => JSON.stringify(s).slice(1, -1);

/**
 * Paths and templates of the declarative connector format: `results`, `paging.next.after`,
 * `data[0].id`, `["@odata.nextLink"]` (a key with dots or other signs, quoted). A template is text
 * with `{{path}}` parts. Nothing is evaluated: a connector file cannot run code.
 */

export type Segment = string | number;

/** Splits a path into its keys and indexes; undefined when malformed. `""` is the value itself (no segments). */
export function parseAnswerPath(path: string): Segment[] | undefined {
  if (path === '') return [];
  const parts: Segment[] = [];
  let i = 0;
  let expectKey = true;
  while (i < path.length) {
    const ch = path[i]!;
    if (ch === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) return undefined;
      const inner = path.slice(i + 1, close);
      if (/^\d+$/.test(inner)) parts.push(Number(inner));
      else if (/^"[^"\\]*"$/.test(inner)) parts.push(inner.slice(1, -1));
      else return undefined;
      i = close + 1;
      expectKey = false;
      continue;
    }
    if (ch === '.') {
      if (expectKey) return undefined;
      i++;
      expectKey = true;
      continue;
    }
    if (!expectKey) return undefined;
    const m = /^[^.[\]"{}\s]+/.exec(path.slice(i));
    if (!m) return undefined;
    parts.push(m[0]);
    i += m[0].length;
    expectKey = false;
  }
  return parts.length > 0 && !expectKey ? parts : undefined;
}

/** The value at a path, or undefined when any step is missing. */
export function valueAtPath(value: unknown, path: string | Segment[]): unknown {
  const parts = typeof path === 'string' ? parseAnswerPath(path) : path;
  if (!parts) return undefined;
  let at: unknown = value;
  for (const part of parts) {
    if (at === null || typeof at !== 'object') return undefined;
    if (typeof part === 'number') {
      if (!Array.isArray(at) || part >= at.length) return undefined;
      at = at[part];
    } else {
      if (!Object.prototype.hasOwnProperty.call(at, part)) return undefined;
      at = (at as Record<string, unknown>)[part];
    }
  }
  return at;
}

const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE = /^\{\{\s*([^{}]*?)\s*\}\}$/;

/** The `{{…}}` paths of a template. */
export function templatePaths(text: string): string[] {
  return [...text.matchAll(TEMPLATE)].map((m) => m[1]!);
}

/** The path of a template that is exactly one `{{…}}`, else undefined. */
export function wholeTemplatePath(text: string): string | undefined {
  return WHOLE.exec(text)?.[1];
}

/** A template's `{{…}}` had no value where one is needed. */
export class MissingValue extends Error {
  constructor(readonly path: string) {
    super(`{{${path}}} has no value`);
  }
}

const asText = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

/**
 * A template as text, each value written by `write` (percent-encoding in a URL path). A path with no
 * value (undefined or null) throws `MissingValue`.
 */
export function renderText(text: string, scope: Record<string, unknown>, write: (value: string) => string = (v) => v): string {
  return text.replace(TEMPLATE, (_all, path: string) => {
    const value = valueAtPath(scope, path);
    if (value === undefined || value === null) throw new MissingValue(path);
    return write(asText(value));
  });
}

/** Marks a value that a whole-template resolved to nothing: its key is left out. */
export const ABSENT = Symbol('absent');

/**
 * A JSON value whose strings are templates: a string that is exactly one `{{…}}` takes the value's
 * own type (ABSENT when there is none, so its key is left out); others are rendered as text.
 */
export function renderValue(value: unknown, scope: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = wholeTemplatePath(value);
    if (whole !== undefined) {
      const found = valueAtPath(scope, whole);
      return found === undefined || found === null ? ABSENT : found;
    }
    return renderText(value, scope);
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, scope)).filter((v) => v !== ABSENT);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const rendered = renderValue(v, scope);
      if (rendered !== ABSENT) out[k] = rendered;
    }
    return out;
  }
  return value;
}

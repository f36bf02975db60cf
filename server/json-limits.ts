import { ApiError, issuePath } from './errors';

// What a JSON value must be for the stores to keep it as it came: the routes check bodies with it
// before they are stored, the executor checks a step's input and output before it logs them.
type JsonNode = { value: object; key?: string; parent?: JsonNode; depth: number };

/** The dotted path of a node (`data.items.0`), from its parent links, plus a last key if given. */
function nodePath(node: JsonNode | undefined, last?: string): string {
  const path: string[] = last === undefined ? [] : [last];
  for (let n = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
  return issuePath(undefined, path);
}

const nulError = (path: string) =>
  new ApiError(400, 'invalid_request', 'The request contains a NUL character (U+0000), which is not accepted', [{ path, message: 'must not contain the NUL character' }]);

// A high surrogate not followed by a low one, or a low one not preceded by a high one (code units: no `u` flag).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const surrogateError = (path: string, text: string) => {
  const unit = text.match(LONE_SURROGATE)![0].charCodeAt(0).toString(16).toUpperCase();
  return new ApiError(400, 'invalid_request', `The request contains a lone UTF-16 surrogate (\\u${unit}), which is not valid Unicode`, [
    { path, message: 'must not contain a lone UTF-16 surrogate' },
  ]);
};

/** Whether each store keeps `text` as it is; ES2024's isWellFormed is on Node 20, not in the ES2022 lib this project (with its widget) is typed with. */
const keepable = (text: string) => (text as string & { isWellFormed(): boolean }).isWellFormed() && !text.includes('\u0000');

/** The 400 for a string `keepable` refused. */
const unkeepableError = (path: string, text: string) => (text.includes('\u0000') ? nulError(path) : surrogateError(path, text));

/**
 * Refuses what the stores cannot keep, in one walk of the input. In any string or key: the NUL
 * character (PostgreSQL cannot keep U+0000 in text and fails the query, a 500; SQLite can, so both
 * refuse it, a 400), and a lone UTF-16 surrogate (`"\ud800"` in JSON: no UTF-8 encodes it, so
 * PostgreSQL kept U+FFFD and SQLite bytes that are not UTF-8, each something other than was sent).
 * And nesting deeper than `maxDepth` (JSON.stringify, which stores a body, runs out of stack past a
 * few thousand). `checkText: false` checks the depth alone: an app's webhook body is stored as
 * JSON, whose escapes (`\u0000`, `\ud800`) keep both exactly. Iterative, with parent links on
 * objects only, so a deeply nested body costs neither stack nor copied paths, and a flat one almost
 * nothing (isWellFormed answers at once for a string of one-byte characters).
 */
export function rejectUnstorable(input: unknown, maxDepth = Infinity, checkText = true): void {
  if (typeof input === 'string') {
    if (checkText && !keepable(input)) throw unkeepableError('', input);
    return;
  }
  if (input === null || typeof input !== 'object') return;
  const stack: JsonNode[] = [{ value: input, depth: 0 }];
  let tooDeep: JsonNode | undefined;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.depth >= maxDepth) {
      tooDeep ??= node;
      // A string that cannot be kept is named first: the walk goes on only to look for one.
      if (!checkText) break;
    }
    for (const key in node.value) {
      if (!Object.hasOwn(node.value, key)) continue;
      if (checkText && !keepable(key)) throw unkeepableError(nodePath(node, key), key);
      const value = (node.value as Record<string, unknown>)[key];
      if (typeof value === 'string') {
        if (checkText && !keepable(value)) throw unkeepableError(nodePath(node, key), value);
      } else if (value !== null && typeof value === 'object') {
        stack.push({ value, key, parent: node, depth: node.depth + 1 });
      }
    }
  }
  if (tooDeep) {
    throw new ApiError(400, 'invalid_request', `The request body nests deeper than ${maxDepth} levels`, [
      { path: nodePath(tooDeep), message: `nested deeper than ${maxDepth} levels` },
    ]);
  }
}

/** How deeply a JSON body may nest. Real payloads nest a few levels; JSON.stringify, which stores it, runs out of stack past a few thousand. */
export const MAX_JSON_DEPTH = 100;

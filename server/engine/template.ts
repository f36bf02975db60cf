/**
 * The data-mapping language of block inputs: `{{event.ticketName}}`, `{{config.channel}}`,
 * `{{steps.post-message.output.ts}}`, `{{user.userId}}`, `{{event.items[0].sku}}`, and inside a
 * forEach's blocks `{{item.sku}}` and `{{index}}`. Paths only: nothing is evaluated, so a
 * definition file cannot run code.
 *
 * A string that is exactly one `{{…}}` takes the value's own type (an object stays an object);
 * inside longer text a value is written as text (objects as JSON).
 */
export interface TemplateScope {
  event: unknown;
  config: Record<string, unknown>;
  user: { userId: string; username: string };
  steps: Record<string, { output: unknown }>;
  /** Inside a forEach's blocks: the current item and its place in the list (from 0). */
  item?: unknown;
  index?: number;
}

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly blockId: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

const EXPRESSION = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const ROOTS = new Set(['event', 'config', 'user', 'steps', 'item', 'index']);
/** The roots only a forEach's blocks have in scope. */
export const ITEM_ROOTS: ReadonlySet<string> = new Set(['item', 'index']);

/** Splits `event.items[0].sku` into `['event', 'items', 0, 'sku']`; `undefined` if malformed. */
export function parsePath(path: string): Array<string | number> | undefined {
  const parts: Array<string | number> = [];
  const re = /([^.[\]]+)|\[(\d+)\]/gy;
  let expectSegment = true;
  let i = 0;
  while (i < path.length) {
    if (!expectSegment) {
      if (path[i] === '.') {
        i++;
        expectSegment = true;
        continue;
      }
      if (path[i] !== '[') return undefined;
    }
    re.lastIndex = i;
    const m = re.exec(path);
    if (!m) return undefined;
    parts.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
    i = re.lastIndex;
    expectSegment = false;
  }
  return parts.length > 0 && !expectSegment ? parts : undefined;
}

function describe(value: unknown): string {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    return keys.length ? `available: ${keys.slice(0, 10).join(', ')}${keys.length > 10 ? ', …' : ''}` : 'it is empty';
  }
  if (Array.isArray(value)) return `it has ${value.length} items`;
  return `it is ${value === null ? 'null' : typeof value}`;
}

/** Whether `path` is well formed and starts at a root the language knows (checked before anything runs). */
export function isValidPath(path: string): boolean {
  const parts = parsePath(path);
  return Boolean(parts && typeof parts[0] === 'string' && ROOTS.has(parts[0]));
}

type Found = { found: true; value: unknown } | { found: false; why: string };

function find(scope: TemplateScope, path: string, blockId: string): Found {
  const parts = parsePath(path);
  if (!parts || typeof parts[0] !== 'string' || !ROOTS.has(parts[0])) {
    throw new TemplateError(`Block "${blockId}": "{{${path}}}" is not a valid path (start with event, config, user or steps; item or index in a forEach)`, blockId, path);
  }
  let value: unknown = scope;
  let walked = '';
  for (const part of parts) {
    const container = value;
    const found =
      container !== null &&
      typeof container === 'object' &&
      (typeof part === 'number' ? Array.isArray(container) && part < container.length : Object.prototype.hasOwnProperty.call(container, part));
    if (!found) {
      if (!walked && ITEM_ROOTS.has(String(part))) return { found: false, why: `"${part}" is only in scope in the blocks of a forEach` };
      const where = walked || 'the scope';
      return { found: false, why: `${where} has no "${part}" (${describe(container)})` };
    }
    value = (container as Record<string | number, unknown>)[part];
    walked = walked ? `${walked}${typeof part === 'number' ? `[${part}]` : `.${part}`}` : String(part);
  }
  return { found: true, value };
}

function lookup(scope: TemplateScope, path: string, blockId: string): unknown {
  const result = find(scope, path, blockId);
  if (!result.found) throw new TemplateError(`Block "${blockId}": "{{${path}}}" has no value: ${result.why}`, blockId, path);
  return result.value;
}

/**
 * The value at a path, or `undefined` when there is none: for conditions, where "absent" is an
 * answer (`exists`), not a mistake. A malformed path still throws.
 */
export function valueAt(scope: TemplateScope, path: string, blockId: string): unknown {
  const result = find(scope, path, blockId);
  return result.found ? result.value : undefined;
}

/** The path of a string that is exactly one `{{…}}`, else undefined. */
export function wholePath(text: string): string | undefined {
  return text.match(WHOLE)?.[1];
}

const asText = (value: unknown) => (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value));

/** Resolves every `{{…}}` in a block's input (strings, nested objects and arrays). */
export function renderInput(input: unknown, scope: TemplateScope, blockId: string): unknown {
  if (typeof input === 'string') {
    const whole = input.match(WHOLE);
    if (whole) return lookup(scope, whole[1]!, blockId);
    return input.replace(EXPRESSION, (_, path: string) => asText(lookup(scope, path, blockId)));
  }
  if (Array.isArray(input)) return input.map((item) => renderInput(item, scope, blockId));
  if (input && typeof input === 'object') {
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, renderInput(v, scope, blockId)]));
  }
  return input;
}

/** Every path a block input refers to, for checking definitions before they run. */
export function referencedPaths(input: unknown): string[] {
  if (typeof input === 'string') return [...input.matchAll(EXPRESSION)].map((m) => m[1]!);
  if (Array.isArray(input)) return input.flatMap(referencedPaths);
  if (input && typeof input === 'object') return Object.values(input).flatMap(referencedPaths);
  return [];
}

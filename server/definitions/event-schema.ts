import { z } from 'zod';

type Path = (string | number)[];
interface Problem {
  path: Path;
  message: string;
}

/** A mistake in a definition file, located by file and path inside it. */
export class DefinitionError extends Error {
  // Lives here rather than in load.ts because this is the lowest module: load.ts re-exports it.
  override readonly name = 'DefinitionError';
  constructor(
    readonly reason: string,
    readonly file?: string,
    readonly path?: Path,
  ) {
    super([file, path?.length ? path.join('.') : undefined, reason].filter(Boolean).join(': '));
  }
}

const LEAF_TYPES = ['String', 'Number', 'Boolean', 'Date', 'Object', 'Any'] as const;
const EXPECTED = `expected ${LEAF_TYPES.join(', ')}, a nested object or a one-element array`;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

// Zod's default says "Invalid input: expected string, received undefined"; senders read these
// messages, so a missing field says "required" and the rest drop the "Invalid input" prefix.
function expected(what: string) {
  return {
    error: (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : `expected ${what}, received ${describe(issue.input)}`),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function leaf(type: (typeof LEAF_TYPES)[number]): z.ZodType {
  switch (type) {
    case 'String':
      return z.string(expected('string'));
    case 'Number':
      return z.number(expected('number'));
    case 'Boolean':
      return z.boolean(expected('boolean'));
    case 'Date':
      // Local date-times (no offset) are accepted: senders often drop the zone.
      return z.union([z.iso.date(), z.iso.datetime({ offset: true, local: true })], expected('an ISO-8601 date or date-time string'));
    case 'Object':
      return z.record(z.string(), z.unknown(), expected('object'));
    case 'Any':
      // z.unknown() alone would accept a missing field; "required" must mean present and not null.
      return z.unknown().refine((v) => v !== undefined && v !== null, {
        error: (issue) => (issue.input === undefined ? 'required' : 'expected a value, received null'),
      });
  }
}

function build(node: unknown, path: Path, problems: Problem[]): z.ZodType {
  if (typeof node === 'string') {
    const optional = node.endsWith('?');
    const name = optional ? node.slice(0, -1) : node;
    const type = LEAF_TYPES.find((t) => t.toLowerCase() === name.toLowerCase());
    if (!type) {
      problems.push({ path, message: `unknown type ${JSON.stringify(node)} (${EXPECTED})` });
      return z.never();
    }
    // Optional fields accept null as well as absence: JSON senders use both to mean "no value".
    return optional ? leaf(type).nullable().optional() : leaf(type);
  }
  if (Array.isArray(node)) {
    if (node.length !== 1) {
      problems.push({ path, message: `an array type holds exactly one item type, found ${node.length}` });
      return z.never();
    }
    return z.array(build(node[0], [...path, 0], problems), expected('array'));
  }
  if (isPlainObject(node)) {
    // fromEntries (not assignment) so a key named "__proto__" stays an ordinary key.
    const shape = Object.fromEntries(Object.entries(node).map(([key, child]) => [key, build(child, [...path, key], problems)]));
    // Loose: the schema lists what workflows need, senders may send more and it is kept.
    return z.looseObject(shape, expected('object'));
  }
  problems.push({ path, message: `unknown type ${JSON.stringify(node) ?? String(node)} (${EXPECTED})` });
  return z.never();
}

function check(schema: unknown, path: Path): { validator: z.ZodType; problems: Problem[] } {
  if (!isPlainObject(schema)) {
    const message = `expected an object mapping field names to types, received ${describe(schema)}`;
    return { validator: z.never(), problems: [{ path, message }] };
  }
  const problems: Problem[] = [];
  const validator = build(schema, path, problems);
  return { validator, problems };
}

/** Compiles a seed-format event schema into a zod validator; throws DefinitionError at the bad path. */
export function compileEventSchema(schema: unknown, path: Path = []): z.ZodType {
  const { validator, problems } = check(schema, path);
  const [first, ...rest] = problems;
  if (first) {
    const more = rest.map((p) => `; ${p.path.join('.')}: ${p.message}`).join('');
    throw new DefinitionError(first.message + more, undefined, first.path);
  }
  return validator;
}

/** JSON Schema (draft 2020-12) describing the event data a seed-format schema accepts. */
export function eventSchemaToJsonSchema(schema: unknown): Record<string, unknown> {
  return z.toJSONSchema(compileEventSchema(schema)) as Record<string, unknown>;
}

/** The seed format itself, for use inside the definition file schema: reports every bad type by path. */
export const EventSchemaFormat = z.record(z.string(), z.unknown(), { error: 'expected an object mapping field names to types' }).superRefine((schema, ctx) => {
  for (const problem of check(schema, []).problems) {
    ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
  }
});

import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { NonRetriableError } from './errors';
import { renderInput, valueAt, wholePath, type TemplateScope } from './template';

/**
 * Conditions are data, not code: a comparison of two operands, `exists`, or `all` / `any` / `not`
 * over other conditions, each an object with exactly one key. An operand is any JSON value; a
 * string that is one `{{path}}` is the value at that path (absent when there is none), a longer
 * string with `{{…}}` in it is text. Nothing in a string is ever evaluated.
 *
 * @example
 * { "eq": ["{{event.status}}", "shipped"] }
 * { "gt": ["{{steps.get-order.output.total}}", 100] }          // numbers, or ISO dates
 * { "contains": ["{{event.tags}}", "vip"] }                     // in a string or a list
 * { "in": ["{{item.country}}", ["US", "CA"]] }                  // membership of a list
 * { "not": { "exists": "{{event.coupon}}" } }                   // present and not null
 * { "all": [{ "eq": ["{{event.status}}", "paid"] }, { "any": [ … ] }] }
 */
export const COMPARISONS = ['eq', 'ne', 'gt', 'lt', 'contains', 'in'] as const;
type Comparison = (typeof COMPARISONS)[number];
const OPERATORS = [...COMPARISONS, 'exists', 'all', 'any', 'not'] as const;

const Operand = z.json();
const Pair = z.tuple([Operand, Operand], { error: 'expected two operands: [left, right]' });
const Path = z.string().refine((s) => wholePath(s) !== undefined, 'expected one template path, such as "{{event.coupon}}"');

const operatorsOf = (condition: Condition) => OPERATORS.filter((k) => condition[k] !== undefined);

const SHAPE = 'a condition is an object with one key: eq, ne, gt, lt, contains, in, exists, all, any or not';

type Json = z.output<typeof Operand>;

/**
 * A condition as parsed. Spelled out because it contains itself, which TypeScript cannot infer
 * from the schema; the schema below is checked against it.
 */
export interface Condition {
  eq?: [Json, Json];
  ne?: [Json, Json];
  gt?: [Json, Json];
  lt?: [Json, Json];
  contains?: [Json, Json];
  in?: [Json, Json];
  exists?: string;
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
}

/** The schema of a condition in a definition file (see the module comment for its shape). */
export const ConditionSchema: z.ZodType<Condition> = z
  .strictObject(
    {
      eq: Pair.optional(),
      ne: Pair.optional(),
      gt: Pair.optional(),
      lt: Pair.optional(),
      contains: Pair.optional(),
      in: Pair.optional(),
      exists: Path.optional(),
      get all() {
        return z.array(ConditionSchema).min(1, 'expected at least one condition').optional();
      },
      get any() {
        return z.array(ConditionSchema).min(1, 'expected at least one condition').optional();
      },
      get not() {
        return ConditionSchema.optional();
      },
    },
    {
      error: (issue) => {
        if (issue.code === 'unrecognized_keys') return `unknown operator ${issue.keys.map((k) => `"${k}"`).join(', ')} (${SHAPE})`;
        if (issue.code === 'invalid_type') return SHAPE;
        return undefined;
      },
    },
  )
  .refine((condition) => operatorsOf(condition).length === 1, {
    // Only when the keys it has are known: an unknown one was reported already.
    when: (payload) => payload.issues.length === 0,
    error: (issue) => {
      const keys = operatorsOf(issue.input as Condition);
      return keys.length ? `${SHAPE}, found ${keys.join(', ')}` : SHAPE;
    },
  });

/** A condition's answer, and the facts that decided it (a filter logs them as its reason). */
export interface Verdict {
  passed: boolean;
  because: string;
}

const show = (value: unknown) => (value === undefined ? 'absent' : JSON.stringify(value));

function operand(raw: unknown, scope: TemplateScope, blockId: string): { value: unknown; text: string } {
  if (typeof raw !== 'string') return { value: raw, text: show(raw) };
  const path = wholePath(raw);
  if (path !== undefined) {
    const value = valueAt(scope, path, blockId);
    return { value, text: `{{${path}}} = ${show(value)}` };
  }
  const value = raw.includes('{{') ? renderInput(raw, scope, blockId) : raw;
  return { value, text: show(value) };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A number, or an ISO-8601 date's time, for gt and lt; undefined for anything else. */
function ordinal(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && ISO_DATE.test(value)) {
    const time = Date.parse(value);
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

function compare(op: Comparison, left: unknown, right: unknown, blockId: string): boolean {
  // An absent value satisfies nothing but `ne`: an optional field left out is not an error.
  if (left === undefined || right === undefined) return op === 'ne' && left !== right;
  switch (op) {
    case 'eq':
      return isDeepStrictEqual(left, right);
    case 'ne':
      return !isDeepStrictEqual(left, right);
    case 'gt':
    case 'lt': {
      const [a, b] = [ordinal(left), ordinal(right)];
      // Comparing a word with a number is a mistake in the definition, not a false: say so.
      if (a === undefined || b === undefined || typeof left !== typeof right) {
        throw new NonRetriableError(`Block "${blockId}": ${op} compares two numbers or two ISO dates, not ${show(left)} and ${show(right)}`);
      }
      return op === 'gt' ? a > b : a < b;
    }
    case 'contains':
      if (typeof left === 'string') return typeof right === 'string' && left.includes(right);
      if (Array.isArray(left)) return left.some((x) => isDeepStrictEqual(x, right));
      throw new NonRetriableError(`Block "${blockId}": contains looks in a string or a list, not in ${show(left)}`);
    case 'in':
      if (Array.isArray(right)) return right.some((x) => isDeepStrictEqual(x, left));
      throw new NonRetriableError(`Block "${blockId}": in looks in a list, not in ${show(right)}`);
  }
}

/**
 * Evaluates a condition in `scope`. A path with no value is absent (false for every comparison
 * but `ne`); a comparison that makes no sense (`gt` of a word) throws a NonRetriableError naming
 * `blockId`, since no retry would change the answer.
 */
export function evaluate(condition: Condition, scope: TemplateScope, blockId: string): Verdict {
  const op = operatorsOf(condition)[0]!;
  if (op === 'all' || op === 'any') {
    const verdicts = condition[op]!.map((c) => evaluate(c, scope, blockId));
    const passed = op === 'all' ? verdicts.every((v) => v.passed) : verdicts.some((v) => v.passed);
    // The facts that decided it: every one when all had to agree, else the first that settled it.
    const agreeing = verdicts.filter((v) => v.passed === passed);
    const deciding = (op === 'all') === passed ? agreeing : agreeing.slice(0, 1);
    return { passed, because: `${op}(${deciding.map((v) => v.because).join('; ')})` };
  }
  if (op === 'not') {
    const inner = evaluate(condition.not!, scope, blockId);
    return { passed: !inner.passed, because: `not(${inner.because})` };
  }
  if (op === 'exists') {
    const { value, text } = operand(condition.exists!, scope, blockId);
    const passed = value !== undefined && value !== null;
    return { passed, because: `exists(${text}) is ${passed}` };
  }
  const [rawLeft, rawRight] = condition[op]!;
  const left = operand(rawLeft, scope, blockId);
  const right = operand(rawRight, scope, blockId);
  const passed = compare(op, left.value, right.value, blockId);
  return { passed, because: `${op}(${left.text}, ${right.text}) is ${passed}` };
}

import { z } from 'zod';
import { LIMITS, type FieldOption, type FieldType } from '../../../widget/schema';

/** A problem of a value against the options the app offers, at a path under the field's own. */
export interface OptionIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Everything one field type needs, in one module (server/domain/fields/<type>.ts), registered in
 * index.ts. Methods rather than function properties, so a module typed on its own definition
 * still fits the registry's general type.
 */
export interface FieldModule<T extends FieldType = FieldType, D extends z.ZodObject = z.ZodObject> {
  type: T;
  /** The field as a definition declares it (see `fieldDefinition`). */
  definition: D;
  /** `one`: the definition gives exactly one of `options` and `optionsSource`; `none`: neither. */
  choices: 'one' | 'none';
  /** How Alloy's headless forms name the type (`string`…); `inputType` keeps ours. */
  vendorType: 'string' | 'number' | 'boolean' | 'array' | 'object';
  /**
   * The zod schema of a value the user gave (not undefined: a missing value is the field's default,
   * or refused when it is required). It trims, coerces and bounds as the type wants, checks static
   * `options`, and refuses an empty value of a required field.
   */
  value(field: z.output<D>): z.ZodType;
  /** The value as a parameter of a dependent option source; a type without it cannot be depended on. */
  asParam?(value: unknown): string;
  /** What in a valid value is not among `options` (loaded from the app); none for a type without choices. */
  checkOptions?(field: z.output<D>, value: unknown, options: readonly FieldOption[]): OptionIssue[];
  /** Kept encrypted at rest and shown as "[redacted]". */
  secret?: boolean;
}

/** Declares a field type, its value schema typed by its own definition. */
export function defineFieldType<T extends FieldType, D extends z.ZodObject>(module: FieldModule<T, D>): FieldModule<T, D> {
  return module;
}

// Each string a user sets is bounded (LIMITS), so an installation's stored configuration is too.
/** A string of a configuration: at most `LIMITS.configValueChars` characters. */
export const boundedText = () => z.string().max(LIMITS.configValueChars, `must be at most ${LIMITS.configValueChars} characters`);

/** A value's path in messages: `"C999"`, or the JSON of anything else. */
export const quoted = (value: unknown) => JSON.stringify(value);

/** The issue of one value that is not among the options, at `path`. */
export function notAnOption(value: string, options: readonly FieldOption[], path: (string | number)[] = []): OptionIssue[] {
  return options.some((o) => o.value === value) ? [] : [{ path, message: `${quoted(value)} is not one of the options` }];
}

/**
 * A string read by `parse`, which answers its normal form or undefined when it is not valid
 * (refused with `expected`). Surrounding spaces are ignored. An empty string is no value (what an
 * empty date input sends): refused when the field is required, else left out.
 */
export function parsedText(field: { label: string; required: boolean }, parse: (text: string) => string | undefined, expected: string) {
  const required = `${field.label} is required`;
  const schema = z.string({ error: (issue) => (issue.input === undefined ? required : 'expected a string') }).transform((text, ctx) => {
    const parsed = parse(text);
    if (parsed === undefined) ctx.addIssue({ code: 'custom', message: expected });
    return parsed ?? z.NEVER;
  });
  const empty = (input: unknown) => (typeof input === 'string' && input.trim() === '' ? undefined : typeof input === 'string' ? input.trim() : input);
  return z.preprocess(empty, field.required ? schema : schema.optional());
}

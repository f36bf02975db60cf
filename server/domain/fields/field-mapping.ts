import { z } from 'zod';
import { LIMITS, type FieldOption } from '../../../widget/schema';
import { fieldDefinition } from './definition';
import { boundedText, defineFieldType, notAnOption, quoted, type OptionIssue } from './field-type';

/** One of the ISV's own fields to map: its name is a key of the value. Starts with a letter, so never `__proto__`. */
const SourceField = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'expected a letter then letters, digits, "_", "." or "-", at most 64 in all'),
  label: z.string().min(1, 'must not be empty'),
  required: z.boolean().default(false),
});

const definition = fieldDefinition('fieldMapping', {
  sourceFields: z.array(SourceField).min(1, 'list at least one field to map').max(LIMITS.configItems, `must list at most ${LIMITS.configItems} fields`),
}).superRefine((field, ctx) => {
  const seen = new Set<string>();
  field.sourceFields.forEach((f, i) => {
    if (seen.has(f.name)) ctx.addIssue({ code: 'custom', path: ['sourceFields', i, 'name'], message: `duplicate name "${f.name}"` });
    seen.add(f.name);
  });
});
type MappingField = z.output<typeof definition>;

/**
 * The issues of a mapping (`{ <source field>: <target option value> }`, blanks dropped) that need
 * no options: an unknown source field, a required one unmapped, a target mapped twice.
 */
function mappingIssues(field: MappingField, mapping: Record<string, string>): OptionIssue[] {
  const names = new Set(field.sourceFields.map((f) => f.name));
  const issues: OptionIssue[] = [];
  const mappedFrom = new Map<string, string>();
  for (const [source, target] of Object.entries(mapping)) {
    if (!names.has(source)) {
      issues.push({ path: [source], message: `no field "${source}" to map (the fields are ${[...names].join(', ')})` });
      continue;
    }
    const earlier = mappedFrom.get(target);
    if (earlier !== undefined) issues.push({ path: [source], message: `${quoted(target)} is already mapped from "${earlier}"` });
    else mappedFrom.set(target, source);
  }
  for (const f of field.sourceFields) {
    if (f.required && !Object.hasOwn(mapping, f.name)) issues.push({ path: [f.name], message: `${f.label} must be mapped` });
  }
  if (field.required && Object.keys(mapping).length === 0 && issues.length === 0) issues.push({ path: [], message: `${field.label} is required: map at least one field` });
  return issues;
}

/** Targets not among `options`, and required targets (options marked `required`) nothing maps to. */
function targetIssues(mapping: Record<string, string>, options: readonly FieldOption[]): OptionIssue[] {
  const issues = Object.entries(mapping).flatMap(([source, target]) => notAnOption(target, options, [source]));
  const targets = new Set(Object.values(mapping));
  for (const o of options) {
    if (o.required && !targets.has(o.value)) issues.push({ path: [], message: `${quoted(o.value)} (${o.label}) is required by the account: map a field to it` });
  }
  return issues;
}

/**
 * Maps the ISV's fields (`sourceFields`) to the account's (the options: the definition's, or the
 * app's with its custom fields). The value is `{ <source field name>: <target option value> }`;
 * a source mapped to "" is unmapped and left out. Required source fields must be mapped, required
 * targets mapped to, and no target mapped twice.
 */
export const fieldMappingField = defineFieldType({
  type: 'fieldMapping',
  definition,
  choices: 'one',
  vendorType: 'object',
  value: (field) =>
    z
      .record(z.string(), boundedText())
      .transform((mapping) => Object.fromEntries(Object.entries(mapping).filter(([, target]) => target !== '')))
      .superRefine((mapping, ctx) => {
        const issues = mappingIssues(field, mapping);
        if (issues.length === 0 && field.options) issues.push(...targetIssues(mapping, field.options));
        for (const issue of issues) ctx.addIssue({ code: 'custom', ...issue });
      }),
  checkOptions: (_field, value, options) => targetIssues(value as Record<string, string>, options),
});

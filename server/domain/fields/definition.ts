import { z } from 'zod';
import type { FieldType } from '../../../widget/schema';

const Name = z.string().min(1, 'must not be empty');

/** A field's name: what the blocks map as `{{config.<name>}}` and what values are keyed by. */
export const FieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'expected a letter or "_" then letters, digits or "_", at most 64 in all');

/** One choice a definition lists (`options`), in the shape option sources load them too. */
export const OptionSchema = z.strictObject({
  label: Name,
  value: z.string(),
  required: z.boolean().optional(),
  custom: z.boolean().optional(),
});

/**
 * Options loaded from the app: a connector's option source, with the user's credential. A source
 * that takes parameters (BigCommerce categories take the category tree) names in `dependsOn` the
 * fields of the same workflow whose values it takes, each sent under the field's name.
 */
export const OptionsSourceSchema = z.strictObject({
  connector: Name,
  source: Name,
  dependsOn: z.array(FieldName).min(1, 'list at least one field, or leave dependsOn out').optional(),
});

/**
 * The definition of one field type: the keys every field has, `type` fixed to this one, and the
 * type's own keys (`own`). Every type takes `options` and `optionsSource` here so that a type
 * without choices answers "takes no options" (FieldSchema's check) rather than "unrecognized key".
 */
export function fieldDefinition<T extends FieldType, S extends z.ZodRawShape = {}>(type: T, own: S = {} as S) {
  return z.strictObject({
    name: FieldName,
    label: Name,
    type: z.literal(type),
    required: z.boolean().default(false),
    description: z.string().optional(),
    placeholder: z.string().optional(),
    default: z.unknown().optional(),
    options: z.array(OptionSchema).min(1, 'must list at least one option').optional(),
    optionsSource: OptionsSourceSchema.optional(),
    ...own,
  });
}

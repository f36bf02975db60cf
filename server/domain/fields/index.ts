import { FIELD_TYPES, type FieldType } from '../../../widget/schema';
import { booleanField } from './boolean';
import { dateField } from './date';
import { datetimeField } from './datetime';
import { fieldMappingField } from './field-mapping';
import type { FieldModule } from './field-type';
import { multiselectField } from './multiselect';
import { numberField } from './number';
import { secretField } from './secret';
import { selectField } from './select';
import { textField } from './text';
import { textareaField } from './textarea';

export type { FieldModule, OptionIssue } from './field-type';

// Adding a field type: add it to FIELD_TYPES (widget/schema.ts), write server/domain/fields/<type>.ts, add it here.
/** Every field type's module, by type: exactly one per entry of FIELD_TYPES (the compiler holds it so). */
export const FIELD_MODULES = {
  text: textField,
  secret: secretField,
  number: numberField,
  boolean: booleanField,
  select: selectField,
  multiselect: multiselectField,
  textarea: textareaField,
  date: dateField,
  datetime: datetimeField,
  fieldMapping: fieldMappingField,
} satisfies { [T in FieldType]: FieldModule<T> };

/** The module of a field type. */
export function fieldModule(type: FieldType): FieldModule {
  return FIELD_MODULES[type];
}

type Definition = (typeof FIELD_MODULES)[FieldType]['definition'];

/** Each type's definition schema, in FIELD_TYPES order: the members of the definitions' FieldSchema union. */
export const FIELD_DEFINITIONS = FIELD_TYPES.map((type) => FIELD_MODULES[type].definition) as unknown as [Definition, ...Definition[]];

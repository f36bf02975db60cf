import { z } from 'zod';
import { fieldDefinition } from './definition';
import { defineFieldType } from './field-type';

/** `true` or `false`; a required one must be answered, either way. */
export const booleanField = defineFieldType({
  type: 'boolean',
  definition: fieldDefinition('boolean'),
  choices: 'none',
  vendorType: 'boolean',
  value: () => z.boolean(),
  asParam: (value) => String(value),
});

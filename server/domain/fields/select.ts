import { z } from 'zod';
import { fieldDefinition } from './definition';
import { boundedText, defineFieldType, notAnOption } from './field-type';

/**
 * One value among the options: the definition's (checked here), or the app's (checked on install
 * against the options loaded with the user's credential: server/domain/option-checks.ts).
 */
export const selectField = defineFieldType({
  type: 'select',
  definition: fieldDefinition('select'),
  choices: 'one',
  vendorType: 'string',
  value: (field) => {
    const values = field.options?.map((o) => o.value);
    return values ? z.enum(values as [string, ...string[]]) : boundedText().min(1, 'choose an option');
  },
  asParam: (value) => String(value),
  checkOptions: (_field, value, options) => notAnOption(String(value), options),
});

import { z } from 'zod';
import { LIMITS } from '../../../widget/schema';
import { fieldDefinition } from './definition';
import { boundedText, defineFieldType, notAnOption } from './field-type';

/** Several values among the options, at most `LIMITS.configItems`; a required one takes at least one. */
export const multiselectField = defineFieldType({
  type: 'multiselect',
  definition: fieldDefinition('multiselect'),
  choices: 'one',
  vendorType: 'array',
  value: (field) => {
    const values = field.options?.map((o) => o.value);
    const item = values ? z.enum(values as [string, ...string[]]) : boundedText().min(1);
    const items = z.array(item).max(LIMITS.configItems, `must have at most ${LIMITS.configItems} items`);
    return field.required ? items.min(1, 'choose at least one option') : items;
  },
  checkOptions: (_field, value, options) => (value as string[]).flatMap((item, i) => notAnOption(item, options, [i])),
});

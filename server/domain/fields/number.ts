import { z } from 'zod';
import { fieldDefinition } from './definition';
import { defineFieldType } from './field-type';

/** A finite JSON number (zod refuses NaN and the infinities). */
export const numberField = defineFieldType({
  type: 'number',
  definition: fieldDefinition('number'),
  choices: 'none',
  vendorType: 'number',
  value: () => z.number(),
  asParam: (value) => String(value),
});

import { fieldDefinition } from './definition';
import { boundedText, defineFieldType } from './field-type';

/**
 * A text kept encrypted at rest and shown as "[redacted]" (config-fields.ts seals and opens it).
 * Never a parameter of dependent options: that would put it in a URL and a cache key.
 */
export const secretField = defineFieldType({
  type: 'secret',
  definition: fieldDefinition('secret'),
  choices: 'none',
  vendorType: 'string',
  value: (field) => (field.required ? boundedText().trim().min(1, `${field.label} is required`) : boundedText()),
  secret: true,
});

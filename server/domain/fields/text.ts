import { fieldDefinition } from './definition';
import { boundedText, defineFieldType } from './field-type';

/** A line of text; a required one must not be blank and is kept trimmed. */
export const textField = defineFieldType({
  type: 'text',
  definition: fieldDefinition('text'),
  choices: 'none',
  vendorType: 'string',
  value: (field) => (field.required ? boundedText().trim().min(1, `${field.label} is required`) : boundedText()),
  asParam: (value) => String(value),
});

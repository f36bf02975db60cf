import { fieldDefinition } from './definition';
import { boundedText, defineFieldType } from './field-type';

/**
 * A longer text of several lines, with the same cap as a text. Kept as typed (its leading spaces
 * and blank lines may mean something, as in a message template); a required one must not be blank.
 */
export const textareaField = defineFieldType({
  type: 'textarea',
  definition: fieldDefinition('textarea'),
  choices: 'none',
  vendorType: 'string',
  value: (field) => (field.required ? boundedText().refine((s) => s.trim() !== '', `${field.label} is required`) : boundedText()),
});

import type { VNode } from 'preact';
import type { Field } from '../schema';
import type { OptionsState } from '../state/install';
import type { Strings } from '../strings';

/** What every field's view gets: the field, its value, its options' state, and the attributes its control carries. */
export interface FieldProps {
  field: Field;
  value: unknown;
  options?: OptionsState;
  strings: Strings;
  onChange(value: unknown): void;
  onRetry(): void;
  /** id, name, aria-invalid, aria-describedby and required, for the control that the label names. */
  control: Record<string, unknown>;
}

/**
 * One field type on the widget's side: how it shows and edits its value. The server's side of the
 * same type (schema, coercion, validation) is server/domain/fields/<type>.ts; the list of types is
 * `FIELD_TYPES` in widget/schema.ts.
 */
export interface FieldModule {
  view(props: FieldProps): VNode;
  /** The value a new form starts with when the definition gives no default (a checkbox: false, an answer). */
  initial?: unknown;
  /** Its control holds its own label (a checkbox), instead of a label above it. */
  labelled?: boolean;
  /** A group of controls (a mapping): labelled as a group (`fieldset`), not by `for`. */
  group?: boolean;
}

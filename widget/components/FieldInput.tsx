import { FIELDS } from '../fields';
import type { Field } from '../schema';
import type { OptionsState } from '../state/install';
import type { Strings } from '../strings';

interface Props {
  field: Field;
  value: unknown;
  error?: string;
  options?: OptionsState;
  strings: Strings;
  onChange(value: unknown): void;
  onRetry(): void;
}

/** One configurable field: its label, its control (its type's module, widget/fields/), its hint and its validation message. */
export function FieldInput({ field, value, error, options, strings, onChange, onRetry }: Props) {
  const id = `f-${field.name}`;
  const module = FIELDS[field.type];
  const describedBy = [field.description && `${id}-d`, error && `${id}-e`].filter(Boolean).join(' ') || undefined;
  const control = { id, name: field.name, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy, required: field.required };
  const hint = field.description && (
    <div class="hint" id={`${id}-d`}>
      {field.description}
    </div>
  );
  const view = module.view({ field, value, options, strings, onChange, onRetry, control });
  // A checkbox first, its hint under it; any other control under its hint.
  const body = [
    module.labelled ? [view, hint] : [hint, view],
    error && (
      <p class="err" id={`${id}-e`}>
        {error}
      </p>
    ),
  ];
  // A mapping is several controls: a group named by its legend. A checkbox holds its own label.
  if (module.group) {
    return (
      <fieldset aria-describedby={describedBy}>
        <legend>{field.label}</legend>
        {body}
      </fieldset>
    );
  }
  return (
    <div>
      {!module.labelled && <label for={id}>{field.label}</label>}
      {body}
    </div>
  );
}

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

/** One configurable field: its label, its control by type, and its validation message. */
export function FieldInput({ field, value, error, options, strings, onChange, onRetry }: Props) {
  const id = `f-${field.name}`;
  const describedBy = [field.description && `${id}-d`, error && `${id}-e`].filter(Boolean).join(' ') || undefined;
  const common = { id, name: field.name, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy, required: field.required };
  const hint = field.description && (
    <div class="hint" id={`${id}-d`}>
      {field.description}
    </div>
  );
  const message = error && (
    <p class="err" id={`${id}-e`}>
      {error}
    </p>
  );

  if (field.type === 'boolean') {
    return (
      <div>
        <label class="chk">
          <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
          {field.label}
        </label>
        {hint}
        {message}
      </div>
    );
  }

  let control;
  const choices = field.options ?? (options?.status === 'ready' ? options.items : undefined);
  if (field.type === 'select' || field.type === 'multiselect') {
    if (!choices) {
      control =
        options?.status === 'error' ? (
          <div role="alert" class="alert">
            {options.message}{' '}
            <button type="button" class="btn sec" onClick={onRetry}>
              {strings.retry}
            </button>
          </div>
        ) : (
          <select {...common} disabled aria-busy="true">
            <option>{strings.loading}</option>
          </select>
        );
    } else {
      const multiple = field.type === 'multiselect';
      const selected = multiple ? ((value as string[] | undefined) ?? []) : [value as string];
      control = (
        <select
          {...common}
          multiple={multiple}
          // On the select too: an option's own `selected` set before it is attached is lost in some DOMs.
          value={multiple ? undefined : ((value as string | undefined) ?? '')}
          onChange={(e) => {
            const el = e.currentTarget as HTMLSelectElement;
            onChange(multiple ? [...el.selectedOptions].map((o) => o.value) : el.value || undefined);
          }}
        >
          {!multiple && <option value="">{strings.choose}</option>}
          {choices.map((o) => (
            <option value={o.value} selected={selected.includes(o.value)}>
              {o.label}
            </option>
          ))}
        </select>
      );
    }
  } else {
    const number = field.type === 'number';
    control = (
      <input
        {...common}
        type={field.type === 'secret' ? 'password' : number ? 'number' : 'text'}
        autoComplete={field.type === 'secret' ? 'off' : undefined}
        placeholder={field.placeholder}
        value={value === undefined || value === null ? '' : String(value)}
        onInput={(e) => {
          const raw = (e.currentTarget as HTMLInputElement).value;
          // A number input holds "" or a valid number (browsers sanitize what is typed).
          onChange(raw === '' ? undefined : number ? Number(raw) : raw);
        }}
      />
    );
  }
  return (
    <div>
      <label for={id}>{field.label}</label>
      {hint}
      {control}
      {message}
    </div>
  );
}

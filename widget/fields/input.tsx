import type { FieldModule, FieldProps } from './types';

/**
 * An `<input>` field (or a `<textarea>`): the browser's own control for the type. `read` turns what
 * it holds ("" when empty) into the value, `show` the value into what it holds.
 */
export function inputField(type: string, read: (raw: string) => unknown = (raw) => raw, show: (value: unknown) => string = String): FieldModule {
  const Tag = type === 'textarea' ? 'textarea' : 'input';
  return {
    view: ({ field, value, control, onChange }: FieldProps) => (
      <Tag
        {...control}
        type={Tag === 'input' ? type : undefined}
        autoComplete={type === 'password' ? 'off' : undefined}
        placeholder={field.placeholder}
        value={value === undefined || value === null ? '' : show(value)}
        onInput={(e) => {
          const raw = (e.currentTarget as HTMLInputElement).value;
          onChange(raw === '' ? undefined : read(raw));
        }}
      />
    ),
  };
}

import type { VNode } from 'preact';
import type { FieldOption } from '../schema';
import type { FieldProps } from './types';

/**
 * The choices of a field: its definition's, or those loaded from the app. While they load, or when
 * loading failed (an alert with Retry), or while the fields they depend on are empty, a disabled
 * select (or the alert) stands in.
 */
export function withChoices(props: FieldProps, show: (choices: FieldOption[]) => VNode): VNode {
  const { field, options, strings, control, onRetry } = props;
  const choices = field.options ?? (options?.status === 'ready' ? options.items : undefined);
  if (choices) return show(choices);
  if (options?.status === 'error') {
    return (
      <div role="alert" class="alert">
        {options.message}{' '}
        <button type="button" class="btn sec" onClick={onRetry}>
          {strings.retry}
        </button>
      </div>
    );
  }
  // Waiting for the fields it depends on, or for the app.
  return (
    <select {...control} disabled aria-busy={options?.status === 'loading'}>
      <option>{options?.status === 'waiting' ? strings.choose : strings.loading}</option>
    </select>
  );
}

/** A single-choice select of `choices`, "Choose…" first; `value` is set on the select itself. */
export const selectOf = (control: Record<string, unknown>, choices: FieldOption[], value: unknown, chooseLabel: string, onChange: (value: string | undefined) => void) => (
  <select {...control} value={(value as string | undefined) ?? ''} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value || undefined)}>
    <option value="">{chooseLabel}</option>
    {choices.map((o) => (
      <option value={o.value}>{o.label}</option>
    ))}
  </select>
);

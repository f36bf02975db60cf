import type { ComponentChildren } from 'preact';
import type { Window } from '../api';
import { WINDOWS } from '../api';
import { route } from '../state';

/**
 * A labelled select starting at `value` ('' is the "any" choice when `any` names it). Not
 * controlled: a re-render while the user is choosing (data arriving) leaves their choice alone;
 * the form is keyed by the address, so back and forward start it afresh.
 */
export function Select({
  label,
  name,
  value,
  options,
  any,
  onChange,
}: {
  label: string;
  name: string;
  value: string;
  options: Array<{ value: string; label: string }>;
  any?: string;
  onChange?(value: string): void;
}) {
  const id = `f-${name}`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={name} onChange={onChange && ((e) => onChange((e.currentTarget as HTMLSelectElement).value))}>
        {any !== undefined && (
          <option value="" selected={value === ''}>
            {any}
          </option>
        )}
        {options.map((o) => (
          <option key={o.value} value={o.value} selected={o.value === value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export const WINDOW_LABELS: Record<Window, string> = { hour: 'Last hour', day: 'Last day', week: 'Last week' };
export const windowOptions = WINDOWS.map((w) => ({ value: w, label: WINDOW_LABELS[w] }));
export const asWindow = (v: string | null, fallback: Window = 'hour'): Window => (WINDOWS.includes(v as Window) ? (v as Window) : fallback);

/** A row of filters that applies on submit (a query per change would load the server for nothing). */
export function FilterForm({ label, onSubmit, children }: { label: string; onSubmit(form: FormData): void; children: ComponentChildren }) {
  return (
    <form
      key={route.value.query.toString()}
      class="filters"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(new FormData(e.currentTarget as HTMLFormElement));
      }}
    >
      {children}
      <button type="submit">Apply</button>
    </form>
  );
}

/** A form's text value, trimmed. */
export const text = (form: FormData, name: string) => String(form.get(name) ?? '').trim();

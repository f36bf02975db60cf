import { pretty } from '../format';

/** A value as pretty JSON in a disclosure (open by default when `open`): keyboard-operable, its summary names it. */
export function Json({ label, value, open = false }: { label: string; value: unknown; open?: boolean }) {
  return (
    <details class="json" open={open}>
      <summary>{label}</summary>
      <pre tabIndex={0} aria-label={label}>
        <code>{pretty(value)}</code>
      </pre>
    </details>
  );
}

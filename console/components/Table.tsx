import type { ComponentChildren } from 'preact';

/**
 * A table that scrolls sideways in a narrow window (768 px) instead of squeezing its columns: the
 * scrolling box is a named, focusable region so the keyboard can scroll it too.
 */
export function Table({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabIndex={0}>
      <table>
        <caption class="visually-hidden">{label}</caption>
        {children}
      </table>
    </div>
  );
}

// How the console writes numbers, durations and times: English, the same way on every page.

const numbers = new Intl.NumberFormat('en-US');
const dates = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const datesWithYear = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const days = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

export const count = (n: number) => numbers.format(n);

/** A duration: "340 ms", "4.2 s", "3.5 min"; an em dash for none. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** 0.987 → "98.7%"; an em dash when nothing finished. */
export const percent = (rate: number | null | undefined) => (rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`);

/** "7 Dec, 14:02:09" (the year only when it is not this one); an em dash for none. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return (d.getFullYear() === new Date().getFullYear() ? dates : datesWithYear).format(d);
}

/** A bucket's label on a chart's axis: the time of day within a day, the day and time beyond. */
export const bucketLabel = (iso: string, bucketSeconds: number) => (bucketSeconds >= 3600 ? days : clock).format(new Date(iso));

/** A value as the console shows it in a code block: pretty JSON. */
export const pretty = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value, null, 2));

/** What a time-range field (`<input type="datetime-local">`) holds, as ISO 8601 for the API, and back. */
export const fromLocalInput = (value: string) => (value ? new Date(value).toISOString() : '');
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

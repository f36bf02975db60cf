import { inputField } from './input';

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * `datetime`: the browser's date-and-time picker, in the user's own time zone; the value is an ISO
 * instant (`2026-12-06T09:30:00.000Z`), shown back in local time.
 */
export const datetime = inputField(
  'datetime-local',
  (local) => new Date(local).toISOString(),
  (iso) => {
    const d = new Date(String(iso));
    return Number.isNaN(d.getTime()) ? '' : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  },
);

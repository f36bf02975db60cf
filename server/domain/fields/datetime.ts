import { fieldDefinition } from './definition';
import { calendarDate } from './date';
import { defineFieldType, parsedText } from './field-type';

// ISO 8601 / RFC 3339: a calendar date, "T", hours and minutes, optional seconds and fraction, then
// "Z" or an offset ±HH:MM. Without a zone the instant is unknown, so it is refused.
const DATETIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * The instant an ISO 8601 date and time with a zone names, as UTC to the millisecond
 * (`2024-05-31T07:30:00.000Z`, what `Date.prototype.toISOString` writes), or undefined when it is
 * not one: no zone, a day the calendar lacks, 24:00, a leap second, a year beyond 0000–9999 in UTC.
 */
export function utcDateTime(text: string): string | undefined {
  const m = DATETIME.exec(text);
  const date = m && calendarDate(m[1]!);
  if (!m || !date) return undefined;
  const [hours, minutes, seconds] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const millis = Number((m[5] ?? '').padEnd(3, '0').slice(0, 3));
  let offset = 0;
  if (m[6]!.toUpperCase() !== 'Z') {
    const [h, min] = [Number(m[6]!.slice(1, 3)), Number(m[6]!.slice(4, 6))];
    if (h > 23 || min > 59) return undefined;
    offset = (m[6]![0] === '-' ? -1 : 1) * (h * 60 + min);
  }
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  const instant = new Date(0);
  instant.setUTCFullYear(date[0], date[1] - 1, date[2]);
  instant.setUTCHours(hours, minutes - offset, seconds, millis);
  const iso = instant.toISOString();
  return /^\d{4}-/.test(iso) ? iso : undefined;
}

/**
 * An instant: ISO 8601 date and time with "Z" or an offset (`2024-05-31T09:30:00+02:00`), seconds
 * optional. Stored normalised to UTC to the millisecond: `2024-05-31T07:30:00.000Z`.
 */
export const datetimeField = defineFieldType({
  type: 'datetime',
  definition: fieldDefinition('datetime'),
  choices: 'none',
  vendorType: 'string',
  value: (field) => parsedText(field, utcDateTime, 'expected a date and time with a time zone, such as 2024-05-31T09:30:00+02:00 or 2024-05-31T07:30:00Z'),
  asParam: (value) => String(value),
});

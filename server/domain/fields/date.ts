import { fieldDefinition } from './definition';
import { defineFieldType, parsedText } from './field-type';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Days of a month (1–12) of the proleptic Gregorian calendar, as ISO 8601 counts them. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** `[year, month, day]` of an ISO 8601 calendar date `YYYY-MM-DD` that exists (no 2023-02-29), else undefined. */
export function calendarDate(text: string): [number, number, number] | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return [year, month, day];
}

/** A calendar date, `YYYY-MM-DD` (ISO 8601), kept as given: no time, no time zone. */
export const dateField = defineFieldType({
  type: 'date',
  definition: fieldDefinition('date'),
  choices: 'none',
  vendorType: 'string',
  value: (field) => parsedText(field, (text) => (calendarDate(text) ? text : undefined), 'expected a date of the calendar as YYYY-MM-DD, such as 2024-05-31'),
  asParam: (value) => String(value),
});

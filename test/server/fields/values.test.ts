import { describe, expect, it } from 'vitest';
import { FieldSchema } from '../../../server/definitions/schema';
import { configSchema } from '../../../server/domain/config-fields';
import { FIELD_MODULES } from '../../../server/domain/fields';
import { FIELD_TYPES, FieldView, LIMITS } from '../../../widget/schema';

/** The value stored for `value` of one field declared as `raw`, or the issues `{ path, message }` refusing it. */
function valueOf(raw: Record<string, unknown>, value: unknown): { ok: true; value: unknown } | { ok: false; issues: Array<{ path: string; message: string }> } {
  const field = FieldSchema.parse({ name: 'f', label: 'F', ...raw });
  const parsed = configSchema([field]).safeParse(value === undefined ? {} : { f: value });
  if (parsed.success) return { ok: true, value: (parsed.data as Record<string, unknown>).f };
  return { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
}
const accepted = (raw: Record<string, unknown>, value: unknown) => {
  const result = valueOf(raw, value);
  if (!result.ok) throw new Error(`refused ${JSON.stringify(value)}: ${JSON.stringify(result.issues)}`);
  return result.value;
};
const refusal = (raw: Record<string, unknown>, value: unknown) => {
  const result = valueOf(raw, value);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(value)} as ${JSON.stringify(result.value)}`);
  return result.issues;
};

describe('field types', () => {
  it('has exactly one server module per type FIELD_TYPES lists, and FieldView takes the same list', () => {
    expect(Object.keys(FIELD_MODULES).sort()).toEqual([...FIELD_TYPES].sort());
    for (const [type, module] of Object.entries(FIELD_MODULES)) expect(module.type).toBe(type);
    expect(FieldView.shape.type.options).toEqual([...FIELD_TYPES]);
  });

  it('keeps the old types as they were: a required text trimmed, a number, a capped multiselect', () => {
    expect(accepted({ type: 'text', required: true }, '  hi  ')).toBe('hi');
    expect(refusal({ type: 'text', required: true }, '   ')).toEqual([{ path: 'f', message: 'F is required' }]);
    expect(refusal({ type: 'number' }, '5')[0]!.path).toBe('f');
    const tags = { type: 'multiselect', optionsSource: { connector: 'slack', source: 'channels' } };
    expect(refusal(tags, Array(LIMITS.configItems + 1).fill('C1'))).toEqual([{ path: 'f', message: `must have at most ${LIMITS.configItems} items` }]);
  });
});

describe('textarea', () => {
  const notes = { type: 'textarea', label: 'Notes', required: true };
  it('keeps several lines as typed, leading spaces and blank lines included', () => {
    expect(accepted(notes, '  Dear {{name}},\n\n  thanks.\n')).toBe('  Dear {{name}},\n\n  thanks.\n');
  });
  it('refuses a blank required one, naming it', () => {
    expect(refusal(notes, ' \n\t ')).toEqual([{ path: 'f', message: 'Notes is required' }]);
  });
  it(`takes ${LIMITS.configValueChars} characters and refuses one more`, () => {
    expect(accepted(notes, 'x'.repeat(LIMITS.configValueChars))).toHaveLength(LIMITS.configValueChars);
    expect(refusal(notes, 'x'.repeat(LIMITS.configValueChars + 1))).toEqual([{ path: 'f', message: `must be at most ${LIMITS.configValueChars} characters` }]);
  });
  it('is an optional empty string when not required', () => {
    expect(accepted({ type: 'textarea' }, '')).toBe('');
  });
});

describe('date', () => {
  const due = { type: 'date', label: 'Due', required: true };
  const expected = 'expected a date of the calendar as YYYY-MM-DD, such as 2024-05-31';
  it('takes a calendar date as YYYY-MM-DD, a leap day of a leap year included, trimmed', () => {
    expect(accepted(due, '2024-02-29')).toBe('2024-02-29');
    expect(accepted(due, ' 2000-02-29 ')).toBe('2000-02-29');
    expect(accepted(due, '2024-12-31')).toBe('2024-12-31');
  });
  it.each(['2023-02-29', '1900-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-4-01', '31/05/2024', '2024-05-31T00:00:00Z'])('refuses %j', (value) => {
    expect(refusal(due, value)).toEqual([{ path: 'f', message: expected }]);
  });
  it('refuses what is not a string, and an empty required one as missing', () => {
    expect(refusal(due, 20240531)).toEqual([{ path: 'f', message: 'expected a string' }]);
    expect(refusal(due, '')).toEqual([{ path: 'f', message: 'Due is required' }]);
    expect(refusal(due, undefined)).toEqual([{ path: 'f', message: 'Due is required' }]);
  });
  it('leaves an optional one out when it is empty', () => {
    expect(accepted({ type: 'date' }, '')).toBeUndefined();
  });
});

describe('datetime', () => {
  const at = { type: 'datetime', label: 'Start', required: true };
  const expected = 'expected a date and time with a time zone, such as 2024-05-31T09:30:00+02:00 or 2024-05-31T07:30:00Z';
  it.each([
    ['2024-05-31T09:30:00+02:00', '2024-05-31T07:30:00.000Z'],
    ['2024-05-31T07:30:00Z', '2024-05-31T07:30:00.000Z'],
    ['2024-05-31t07:30z', '2024-05-31T07:30:00.000Z'],
    ['2024-05-31T07:30:00.123456789Z', '2024-05-31T07:30:00.123Z'],
    ['2024-01-01T00:30:00+01:00', '2023-12-31T23:30:00.000Z'],
    ['2024-02-28T23:00:00-05:30', '2024-02-29T04:30:00.000Z'],
    ['0050-06-01T12:00:00Z', '0050-06-01T12:00:00.000Z'],
  ])('takes %j and stores it in UTC as %j', (value, stored) => {
    expect(accepted(at, value)).toBe(stored);
  });
  it.each([
    '2024-05-31T09:30:00',
    '2024-05-31',
    '2024-05-31T24:00:00Z',
    '2024-05-31T09:60:00Z',
    '2024-05-31T09:30:60Z',
    '2024-02-30T09:30:00Z',
    '2024-05-31T09:30:00+0200',
    '2024-05-31T09:30:00+24:00',
    '0000-01-01T00:30:00+01:00',
    '9999-12-31T23:30:00-01:00',
    'tomorrow',
  ])('refuses %j', (value) => {
    expect(refusal(at, value)).toEqual([{ path: 'f', message: expected }]);
  });
  it('refuses an empty required one as missing and leaves an optional one out', () => {
    expect(refusal(at, '')).toEqual([{ path: 'f', message: 'Start is required' }]);
    expect(accepted({ type: 'datetime' }, '  ')).toBeUndefined();
  });
});

describe('fieldMapping', () => {
  const mapping = {
    type: 'fieldMapping',
    label: 'Customer fields',
    sourceFields: [
      { name: 'contactEmail', label: 'Contact email', required: true },
      { name: 'fullName', label: 'Full name' },
      { name: 'tier', label: 'Tier' },
    ],
    options: [
      { label: 'Email', value: 'email', required: true },
      { label: 'Name', value: 'name' },
      { label: 'Loyalty tier', value: 'attribute:7', custom: true },
    ],
  };
  it('stores { source field: target } and drops sources mapped to ""', () => {
    expect(accepted(mapping, { contactEmail: 'email', fullName: '', tier: 'attribute:7' })).toEqual({ contactEmail: 'email', tier: 'attribute:7' });
  });
  it('refuses a source field the definition does not declare', () => {
    expect(refusal(mapping, { contactEmail: 'email', phone: 'name' })).toEqual([
      { path: 'f.phone', message: 'no field "phone" to map (the fields are contactEmail, fullName, tier)' },
    ]);
  });
  it('refuses a required source field left unmapped', () => {
    expect(refusal(mapping, { fullName: 'name' })).toEqual([{ path: 'f.contactEmail', message: 'Contact email must be mapped' }]);
  });
  it('refuses two fields mapped to one target', () => {
    expect(refusal(mapping, { contactEmail: 'email', fullName: 'name', tier: 'name' })).toEqual([{ path: 'f.tier', message: '"name" is already mapped from "fullName"' }]);
  });
  it('checks the targets against the definition’s options: unknown ones, and required ones nothing maps to', () => {
    expect(refusal(mapping, { contactEmail: 'email', tier: 'attribute:99' })).toEqual([{ path: 'f.tier', message: '"attribute:99" is not one of the options' }]);
    expect(refusal(mapping, { contactEmail: 'name' })).toEqual([{ path: 'f', message: '"email" (Email) is required by the account: map a field to it' }]);
  });
  it('refuses what is not an object of strings, and targets over the cap', () => {
    expect(refusal(mapping, ['email'])[0]!.path).toBe('f');
    expect(refusal(mapping, { contactEmail: 5 })[0]!.path).toBe('f.contactEmail');
    expect(refusal(mapping, { contactEmail: 'x'.repeat(LIMITS.configValueChars + 1) })).toEqual([
      { path: 'f.contactEmail', message: `must be at most ${LIMITS.configValueChars} characters` },
    ]);
  });
  it('asks a required mapping without required source fields for at least one field', () => {
    const loose = { ...mapping, required: true, sourceFields: [{ name: 'a', label: 'A' }], options: [{ label: 'X', value: 'x' }] };
    expect(refusal(loose, { a: '' })).toEqual([{ path: 'f', message: 'Customer fields is required: map at least one field' }]);
  });
});

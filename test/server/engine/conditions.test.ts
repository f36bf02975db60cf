import { describe, expect, it } from 'vitest';
import { ConditionSchema, evaluate, type Condition } from '../../../server/engine/conditions';
import { NonRetriableError } from '../../../server/engine/errors';
import type { TemplateScope } from '../../../server/engine/template';

const scope: TemplateScope = {
  event: { status: 'shipped', total: 120.5, tags: ['vip', 'eu'], note: 'gift wrap please', coupon: null, placedAt: '2025-03-01T10:00:00Z', lines: [{ sku: 'A' }] },
  config: { threshold: 100, countries: ['US', 'CA'] },
  user: { userId: 'u1', username: 'ann' },
  steps: { 'get-order': { output: { total: 80 } } },
  item: { sku: 'A-1', country: 'CA' },
  index: 2,
};

const holds = (condition: Condition) => evaluate(ConditionSchema.parse(condition), scope, 'check').passed;
const issues = (condition: unknown) => {
  const result = ConditionSchema.safeParse(condition);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('conditions', () => {
  it('eq and ne compare the value at a path with a literal, objects and lists by content', () => {
    expect(holds({ eq: ['{{event.status}}', 'shipped'] })).toBe(true);
    expect(holds({ eq: ['{{event.status}}', 'pending'] })).toBe(false);
    expect(holds({ eq: ['{{event.lines}}', [{ sku: 'A' }]] })).toBe(true);
    expect(holds({ eq: ['{{event.total}}', '120.5'] })).toBe(false);
    expect(holds({ ne: ['{{event.status}}', 'pending'] })).toBe(true);
    expect(holds({ ne: ['{{event.status}}', 'shipped'] })).toBe(false);
  });

  it('gt and lt compare numbers, from any root, and ISO dates', () => {
    expect(holds({ gt: ['{{event.total}}', '{{config.threshold}}'] })).toBe(true);
    expect(holds({ lt: ['{{steps.get-order.output.total}}', 100] })).toBe(true);
    expect(holds({ gt: ['{{index}}', 2] })).toBe(false);
    expect(holds({ gt: ['{{event.placedAt}}', '2025-01-01'] })).toBe(true);
    expect(holds({ lt: ['{{event.placedAt}}', '2025-03-01T09:00:00Z'] })).toBe(false);
  });

  it('refuses to order a word and a number, naming the block, without retrying', () => {
    const err = (() => {
      try {
        evaluate({ gt: ['{{event.status}}', 3] }, scope, 'check');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(NonRetriableError);
    expect((err as Error).message).toBe('Block "check": gt compares two numbers or two ISO dates, not "shipped" and 3');
  });

  it('contains looks in a string or a list; in looks for a value in a list', () => {
    expect(holds({ contains: ['{{event.tags}}', 'vip'] })).toBe(true);
    expect(holds({ contains: ['{{event.note}}', 'gift'] })).toBe(true);
    expect(holds({ contains: ['{{event.note}}', 'express'] })).toBe(false);
    expect(holds({ in: ['{{item.country}}', '{{config.countries}}'] })).toBe(true);
    expect(holds({ in: ['{{item.country}}', ['FR', 'DE']] })).toBe(false);
    expect(() => evaluate({ in: ['A', '{{event.status}}'] }, scope, 'check')).toThrow('in looks in a list, not in "shipped"');
  });

  it('exists: present and not null; an absent path satisfies no comparison but ne', () => {
    expect(holds({ exists: '{{item.sku}}' })).toBe(true);
    expect(holds({ exists: '{{event.coupon}}' })).toBe(false);
    expect(holds({ exists: '{{event.missing.deeper}}' })).toBe(false);
    expect(holds({ eq: ['{{event.missing}}', null] })).toBe(false);
    expect(holds({ gt: ['{{event.missing}}', 1] })).toBe(false);
    expect(holds({ ne: ['{{event.missing}}', 'x'] })).toBe(true);
  });

  it('combines with all, any and not, and says which facts decided', () => {
    const paid = { eq: ['{{event.status}}', 'shipped'] } as Condition;
    const big = { gt: ['{{event.total}}', 1000] } as Condition;
    expect(holds({ all: [paid, { not: big }] })).toBe(true);
    expect(holds({ any: [big, { not: paid }] })).toBe(false);
    expect(evaluate({ all: [paid, big] }, scope, 'check')).toEqual({ passed: false, because: 'all(gt({{event.total}} = 120.5, 1000) is false)' });
    expect(evaluate({ not: { exists: '{{event.coupon}}' } }, scope, 'check')).toEqual({ passed: true, because: 'not(exists({{event.coupon}} = null) is false)' });
  });

  it('evaluates nothing in a string: text around a path is text', () => {
    expect(holds({ eq: ['Status: {{event.status}}', 'Status: shipped'] })).toBe(true);
    expect(holds({ eq: ['1 + 1', 2] })).toBe(false);
  });

  it('refuses malformed conditions with the place and the reason', () => {
    expect(issues({ equals: ['a', 'b'] })).toEqual([': unknown operator "equals" (a condition is an object with one key: eq, ne, gt, lt, contains, in, exists, all, any or not)']);
    expect(issues({ eq: ['a'] })).toEqual(['eq: expected two operands: [left, right]']);
    expect(issues({ eq: ['a', 'b'], ne: ['a', 'b'] })).toEqual([': a condition is an object with one key: eq, ne, gt, lt, contains, in, exists, all, any or not, found eq, ne']);
    expect(issues({ all: [{ exists: 'event.coupon' }] })).toEqual(['all.0.exists: expected one template path, such as "{{event.coupon}}"']);
    expect(issues({ any: [] })).toEqual(['any: expected at least one condition']);
    expect(issues('{{event.status}} == "x"')).toEqual([': a condition is an object with one key: eq, ne, gt, lt, contains, in, exists, all, any or not']);
  });
});

import { z } from 'zod';
import { ConditionSchema, evaluate } from '../engine/conditions';
import { BlockBase, defineBlock, SkipRun } from './types';

/**
 * Goes on only when its condition holds: `{ "type": "filter", "id", "condition": { "eq": ["{{event.status}}", "shipped"] } }`.
 * Otherwise the run ends as `skipped` (inside a forEach, only the item), its reason logged.
 */
export const FilterBlockSchema = z.strictObject({
  ...BlockBase,
  type: z.literal('filter'),
  condition: ConditionSchema,
});

export type FilterBlock = z.output<typeof FilterBlockSchema>;

export const filter = defineBlock({
  type: 'filter',
  schema: FilterBlockSchema,
  templates: (block) => [block.condition],
  view: (block) => ({ name: block.name ?? 'Filter', type: 'filter', icon: '/icons/filter.svg' }),

  async run(block, ctx) {
    const verdict = evaluate(block.condition, ctx.scope, block.id);
    if (!verdict.passed) throw new SkipRun(`Filter "${block.id}": the condition is false: ${verdict.because}`);
    return { passed: true, reason: verdict.because };
  },
});

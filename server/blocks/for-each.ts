import { z } from 'zod';
import { NonRetriableError } from '../engine/errors';
import { renderInput, wholePath } from '../engine/template';
import { BlockSchema, type Block } from './index';
import { BlockBase, defineBlock, SkipRun } from './types';

/** The most items a forEach may take, whatever its maxItems: each is a step or more, recorded. */
export const MAX_ITEMS = 1000;
const DEFAULT_MAX_ITEMS = 100;

/**
 * Runs its blocks once per item of a list, with `{{item}}` and `{{index}}` (from 0) in scope; its
 * output is the list of each item's last output (null for an item a filter left out).
 *
 * @example { "type": "forEach", "id": "lines", "items": "{{event.lineItems}}", "maxItems": 50, "do": [ … ] }
 */
const ForEachFields = z.strictObject({
  ...BlockBase,
  type: z.literal('forEach'),
  items: z.string().refine((s) => wholePath(s) !== undefined, 'expected one template path to a list, such as "{{event.lineItems}}"'),
  maxItems: z.int('expected a whole number').min(1, 'must be at least 1').max(MAX_ITEMS, `must be at most ${MAX_ITEMS}`).default(DEFAULT_MAX_ITEMS),
});

// An interface: blocks hold blocks, a type TypeScript cannot infer from the schema.
export interface ForEachBlock extends z.output<typeof ForEachFields> {
  do: Block[];
}

export const ForEachBlockSchema = ForEachFields.extend({
  // A getter, so the schema of every block (this one's among them) is read when parsing, not now.
  get do(): z.ZodArray<z.ZodType<Block>> {
    return z.array(BlockSchema).min(1, 'a forEach needs at least one block');
  },
});

export const forEach = defineBlock({
  type: 'forEach',
  schema: ForEachBlockSchema,
  children: (block) => [{ path: ['do'], blocks: block.do, item: true }],
  templates: (block) => [block.items],
  view: (block) => ({ name: block.name ?? 'For each', type: 'forEach', icon: '/icons/for-each.svg' }),

  async run(block, ctx) {
    const value = renderInput(block.items, ctx.scope, block.id);
    // An optional list left out is no items, not a mistake.
    const items = value === null ? [] : value;
    if (!Array.isArray(items)) {
      throw new NonRetriableError(`Block "${block.id}": ${block.items} is not a list (it is ${JSON.stringify(items).slice(0, 100)})`);
    }
    ctx.logInput({ items });
    // Refused whole rather than cut short: running some of the items would look like success.
    if (items.length > block.maxItems) {
      throw new NonRetriableError(`Block "${block.id}": ${block.items} has ${items.length} items, more than maxItems (${block.maxItems}); none was run`);
    }
    const outputs: unknown[] = [];
    for (const [index, item] of items.entries()) {
      // Each item sees the steps before the forEach and its own, never another item's.
      const scope = { ...ctx.scope, steps: { ...ctx.scope.steps }, item, index };
      try {
        outputs.push((await ctx.runBlocks(block.do, scope, `${ctx.stepId}[${index}].`)) ?? null);
      } catch (err) {
        if (!(err instanceof SkipRun)) throw err;
        outputs.push(null);
      }
    }
    return outputs;
  },
});

import { z } from 'zod';
import { renderInput } from '../engine/template';
import { BlockBase, defineBlock } from './types';

/**
 * Builds an object from templates, the mapping step: its output is `output` with every `{{…}}`
 * resolved, for later blocks to read as `{{steps.<id>.output.<key>}}`.
 *
 * @example { "type": "transform", "id": "summary", "output": { "order": "{{event.orderId}}", "total": "{{event.total}}" } }
 */
export const TransformBlockSchema = z.strictObject({
  ...BlockBase,
  type: z.literal('transform'),
  output: z.record(z.string(), z.unknown(), { error: 'expected an object whose values are templates or literals' }),
});

export type TransformBlock = z.output<typeof TransformBlockSchema>;

export const transform = defineBlock({
  type: 'transform',
  schema: TransformBlockSchema,
  templates: (block) => [block.output],
  view: (block) => ({ name: block.name ?? 'Transform', type: 'transform', icon: '/icons/transform.svg' }),
  run: async (block, ctx) => renderInput(block.output, ctx.scope, block.id),
});

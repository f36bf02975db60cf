import { z } from 'zod';
import { ConditionSchema, evaluate } from '../engine/conditions';
import { BlockSchema, type Block } from './index';
import { BlockBase, defineBlock } from './types';

/** One way a branch can go: taken when `when` holds and no path before it was. */
const BranchPathFields = z.strictObject({ name: BlockBase.id, when: ConditionSchema });

// Interfaces: blocks hold blocks, a type TypeScript cannot infer from the schema.
export interface BranchPath extends z.output<typeof BranchPathFields> {
  do: Block[];
}

const BranchFields = z.strictObject({ ...BlockBase, type: z.literal('branch') });

export interface BranchBlock extends z.output<typeof BranchFields> {
  paths: BranchPath[];
  default?: Block[];
}

const BranchPathSchema = BranchPathFields.extend({
  get do(): z.ZodArray<z.ZodType<Block>> {
    return z.array(BlockSchema).min(1, 'a path needs at least one block');
  },
});

/**
 * Runs the blocks of the first path whose condition holds, else its `default` blocks (if any).
 * Its output is `{ path, reason }`: the path taken (`"default"`, or null when none was) and why.
 *
 * @example { "type": "branch", "id": "route", "paths": [{ "name": "express", "when": { … }, "do": [ … ] }], "default": [ … ] }
 */
export const BranchBlockSchema = BranchFields.extend({
  paths: z.array(BranchPathSchema).min(1, 'a branch needs at least one path'),
  get default(): z.ZodOptional<z.ZodArray<z.ZodType<Block>>> {
    return z.array(BlockSchema).min(1, 'leave "default" out rather than empty').optional();
  },
}).superRefine((block, ctx) => {
  const seen = new Set<string>(['default']);
  block.paths.forEach((path, i) => {
    if (seen.has(path.name)) {
      const message = path.name === 'default' ? 'a path cannot be named "default": the output names the default blocks so' : `duplicate path name "${path.name}"`;
      ctx.addIssue({ code: 'custom', path: ['paths', i, 'name'], message });
    }
    seen.add(path.name);
  });
});

export const branch = defineBlock({
  type: 'branch',
  schema: BranchBlockSchema,
  children: (block) => [...block.paths.map((path, i) => ({ path: ['paths', i, 'do'], blocks: path.do })), ...(block.default ? [{ path: ['default'], blocks: block.default }] : [])],
  templates: (block) => block.paths.map((path) => path.when),
  view: (block) => ({ name: block.name ?? 'Branch', type: 'branch', icon: '/icons/branch.svg' }),

  async run(block, ctx) {
    const reasons: string[] = [];
    for (const path of block.paths) {
      const verdict = evaluate(path.when, ctx.scope, block.id);
      reasons.push(`${path.name}: ${verdict.because}`);
      if (!verdict.passed) continue;
      // The path's blocks are steps beside this one: later blocks read them by their own ids.
      await ctx.runBlocks(path.do, ctx.scope, ctx.prefix);
      return { path: path.name, reason: verdict.because };
    }
    if (block.default) await ctx.runBlocks(block.default, ctx.scope, ctx.prefix);
    return { path: block.default ? 'default' : null, reason: `no path's condition holds (${reasons.join('; ')})` };
  },
});

import { z } from 'zod';
import { ITEM_ROOTS, isValidPath, parsePath, referencedPaths } from '../engine/template';
import { action, type ActionBlock } from './action';
import { branch, type BranchBlock } from './branch';
import { filter, type FilterBlock } from './filter';
import { forEach, type ForEachBlock } from './for-each';
import { transform, type TransformBlock } from './transform';
import type { BlockKind, BlockViewParts, CheckContext, Path } from './types';

// Adding a block kind: write server/blocks/<kind>.ts exporting a BlockKind, add it here. Import
// blocks from this module, not from a kind's: the kinds that hold blocks read BlockSchema from here.
const KINDS = [action, filter, branch, forEach, transform] as const;

/** A block as parsed. Spelled out because blocks hold blocks, which TypeScript cannot infer from the schemas. */
export type Block = ActionBlock | FilterBlock | BranchBlock | ForEachBlock | TransformBlock;
export type { ActionBlock };

// Fails to compile when KINDS and Block disagree (a kind registered but not in Block, or the reverse).
type Registered = z.output<(typeof KINDS)[number]['schema']>;
true satisfies [Block] extends [Registered] ? ([Registered] extends [Block] ? true : never) : never;

const typeNames = KINDS.flatMap((k) => (k.type ? [`"${k.type}"`] : []));
const expected = `expected a connector action ({ connector, action }) or a block type ${typeNames.slice(0, -1).join(', ')} or ${typeNames.at(-1)}`;

/** One step of a workflow: a connector action (no `type`), or a logic block with its `type`. */
export const BlockSchema = z.discriminatedUnion('type', KINDS.map((k) => k.schema) as unknown as [z.ZodObject, ...z.ZodObject[]], {
  error: expected,
}) as unknown as z.ZodType<Block>;

/** Blocks nest (a forEach in a branch in a forEach) at most this deep, the top level being 1. */
export const MAX_DEPTH = 3;

const byType = new Map<string | undefined, BlockKind>(KINDS.map((k) => [k.type, k as unknown as BlockKind]));

/** The module of a block's kind. */
export function blockKind(block: Block): BlockKind {
  return byType.get(block.type)!;
}

export function isActionBlock(block: Block): block is ActionBlock {
  return blockKind(block) === (action as unknown as BlockKind);
}

/** Where a block sits: its path, how deep (the top level being 1), and whether a forEach item is in scope. */
interface Place {
  path: Path;
  depth: number;
  inForEach: boolean;
}

/** Visits every block, nested ones after the block holding them. */
function walk(blocks: readonly Block[], at: Place, visit: (block: Block, place: Place) => void): void {
  // The workflow schema's checks run even after some of its blocks were refused (an unknown key is
  // reported, not fatal): what is not a list or a block of a known kind is passed over.
  if (!Array.isArray(blocks)) return;
  blocks.forEach((block, i) => {
    const kind = byType.get(block?.type);
    if (!kind) return;
    const place = { ...at, path: [...at.path, i] };
    visit(block, place);
    for (const child of kind.children?.(block) ?? []) {
      walk(child.blocks, { path: [...place.path, ...child.path], depth: at.depth + 1, inForEach: at.inForEach || Boolean(child.item) }, visit);
    }
  });
}

const top = (path: Path): Place => ({ path, depth: 1, inForEach: false });

/** Every block of a list, nested ones included, in the order they are written. */
export function allBlocks(blocks: readonly Block[]): Block[] {
  const all: Block[] = [];
  walk(blocks, top([]), (block) => all.push(block));
  return all;
}

/** A block anywhere in the list by id (ids are unique in a workflow, nested blocks included). */
export function findBlock(blocks: readonly Block[], id: string): Block | undefined {
  return allBlocks(blocks).find((b) => b.id === id);
}

/** Every block as the Alloy views list it, nested ones after the block holding them. */
export function blockViews(blocks: readonly Block[]): Array<BlockViewParts & { id: string }> {
  return allBlocks(blocks).map((block) => ({ ...blockKind(block).view(block), id: block.id }));
}

/**
 * What the workflow schema checks across its blocks, each at its path under `blocks`: ids unique
 * in the whole tree (steps and `{{steps.<id>}}` name blocks by id alone), nesting at most
 * MAX_DEPTH deep, and template paths well formed, with `item` and `index` only in a forEach.
 */
export function blockIssues(blocks: readonly Block[]): Array<{ path: Path; message: string }> {
  const issues: Array<{ path: Path; message: string }> = [];
  const seen = new Map<string, Path>();
  walk(blocks, top(['blocks']), (block, { path, depth, inForEach }) => {
    const kind = blockKind(block);
    const first = seen.get(block.id);
    // Where the first one is, when nesting hides it: ids are unique across the whole tree.
    const also = first && (first.length > 3 || path.length > 3) ? ` (also at ${first.join('.')})` : '';
    if (first) issues.push({ path: [...path, 'id'], message: `duplicate id "${block.id}"${also}` });
    else seen.set(block.id, path);
    if (depth === MAX_DEPTH && kind.children) {
      issues.push({ path, message: `blocks nest at most ${MAX_DEPTH} levels deep: a ${block.type} here cannot hold blocks` });
    }
    for (const template of referencedPaths(kind.templates(block))) {
      const root = String(parsePath(template)?.[0]);
      if (!isValidPath(template)) {
        issues.push({ path, message: `"{{${template}}}" is not a valid path (start with event, config, user or steps; item or index in a forEach)` });
      } else if (ITEM_ROOTS.has(root) && !inForEach) {
        issues.push({ path, message: `"{{${template}}}": ${root} is only in scope in the blocks of a forEach` });
      }
    }
  });
  return issues;
}

/** Runs each block's start-time check (that its connector and action exist), nested blocks included. */
export function checkBlocks(integrationId: string, workflowId: string, blocks: readonly Block[], path: Path): void {
  walk(blocks, top(path), (block, place) => {
    const context: CheckContext = { integrationId, workflowId, path: place.path };
    blockKind(block).check?.(block, context);
  });
}

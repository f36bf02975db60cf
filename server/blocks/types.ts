import { z } from 'zod';
import type { ConnectorSettings } from '../connectors/types';
import type { HttpClient } from '../engine/http';
import type { TemplateScope } from '../engine/template';
import type { ConnectionGate } from '../engine/throttle';
import type { ActionBlock } from './action';
import type { Block } from './index';

/** Where a thing sits in a definition file, as zod and DefinitionError spell it (`['workflows', 0, 'blocks', 1, 'do', 0]`). */
export type Path = (string | number)[];

/** What every block has: an id unique in its workflow (nested blocks included) and an optional display name. */
export const BlockBase = {
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1 to 64 letters, digits, "_" or "-"')
    // The trigger's own step (an app trigger's fetch) is logged as "trigger", and views show the trigger as the block "trigger".
    .refine((id) => id !== 'trigger', '"trigger" is reserved: it names the trigger\'s own step'),
  name: z.string().min(1, 'must not be empty').optional(),
};

/** A block as the Alloy views list it (its id and the absolute icon URL are added by the caller). */
export interface BlockViewParts {
  name: string;
  /** The connector's id for an action, the block type for the others. */
  type: string;
  /** A served path (`/icons/filter.svg`) or an absolute URL. */
  icon: string;
}

/** What the start-time check of a block gets: which integration and workflow, and the block's path in the file. */
export interface CheckContext {
  integrationId: string;
  workflowId: string;
  path: Path;
}

/** What running an action needs from the engine: never the store or a route. */
export interface ActionEnvironment {
  http: HttpClient;
  settings: ConnectorSettings;
  /** The installation's account, decrypted, and which app it is for. */
  credential?: { id: string; app: string; data: Record<string, string> };
  executionId: string;
  /** Throttles and 429 holds, checked before an action calls its app (server/engine/throttle.ts); none when left out. */
  gate?: ConnectionGate;
  /** What a block's deliveries are signed with (see ConnectorContext.signingSecrets). */
  signingSecrets(block: ActionBlock): Promise<string[]>;
}

/** What a block gets when it runs. */
export interface RunContext {
  /** What its templates see: `{ event, config, user, steps }`, and `item` and `index` in a forEach. */
  scope: TemplateScope;
  /** Where it runs: its id, after its forEach item inside one (`lines[2].post-item`). Its step is recorded under it. */
  stepId: string;
  /** What its step id starts with: '' at the top, `lines[2].` in a forEach's item (its children's steps go on with it). */
  prefix: string;
  /** Sets the input logged with its step (after mapping). */
  logInput(input: unknown): void;
  /**
   * Runs blocks in order as steps under `prefix` (`lines[2].`), in `scope`, skipping the actions
   * that succeeded in an earlier attempt. Resolves with the output of the last one.
   */
  runBlocks(blocks: readonly Block[], scope: TemplateScope, prefix: string): Promise<unknown>;
  actions: ActionEnvironment;
}

/**
 * Thrown by a filter whose condition is false: the run ends as `skipped` (or, inside a forEach,
 * the item does), with `reason` logged. Not an error: nothing failed and nothing is retried.
 */
export class SkipRun extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkipRun';
  }
}

/**
 * One kind of block: everything about it in one module. Adding a kind is that module and one line
 * in the registry (server/blocks/index.ts).
 */
export interface BlockKind<S extends z.ZodType = z.ZodType> {
  /** Its `type` in a definition; `undefined` for a connector action, which has none (released definitions predate the others). */
  type: string | undefined;
  schema: S;
  /**
   * The lists of blocks it holds, each with its path inside the block and whether they run per
   * item (with `item` and `index` in scope), for the checks and views that walk the whole tree.
   */
  children?(block: z.output<S>): Array<{ path: Path; blocks: readonly Block[]; item?: boolean }>;
  /** Its parts that hold templates (not its children), so their paths are checked before anything runs. */
  templates(block: z.output<S>): unknown[];
  /** Checks at start what the schema cannot (that a connector exists); throws a DefinitionError. */
  check?(block: z.output<S>, ctx: CheckContext): void;
  view(block: z.output<S>): BlockViewParts;
  /**
   * True for a block that changes something outside (calls an app): once its step succeeded, a
   * retry of the execution does not run it again. The others compute from the scope alone and run
   * again, so a retry decides as the first attempt did (a filter still stops, a branch takes its path).
   */
  runsOnce?: boolean;
  /** Runs the block; resolves with its output (what `{{steps.<id>.output}}` reads). */
  run(block: z.output<S>, ctx: RunContext): Promise<unknown>;
}

/** Declares a block kind with its block type inferred from the schema. */
export function defineBlock<S extends z.ZodType>(kind: BlockKind<S>): BlockKind<S> {
  return kind;
}

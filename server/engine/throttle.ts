import { createHash } from 'node:crypto';
import type { ActionThrottle } from '../connectors/types';
import type { Store } from '../store';
import { RetryAfterError } from './errors';

/**
 * The longest an action waits in process for its turn or for a hold to end, keeping its worker
 * slot. Anything later gives the slot back: the execution is deferred.
 */
export const WAIT_IN_PROCESS_MS = 1500;
/**
 * A deferred execution is due this long before its turn, so that the worker's poll (250 ms) and a
 * busy queue do not make it late: it then waits the rest in process.
 */
const DUE_BEFORE_TURN_MS = 500;
/**
 * Turns are this much further apart than the app's pace: a call reaches the app a few milliseconds
 * after its turn begins, more or fewer from one call to the next (how busy the process is when the
 * store answers), and the app must never see two calls closer than its pace.
 */
const TURN_MARGIN_MS = 25;
/** Longer keys (a throttle key is the connector's to make) are stored as their hash. */
const MAX_KEY_CHARS = 200;

/**
 * Thrown before an action calls its app when its turn (a throttle) or the end of its connection's
 * hold (a 429) is further away than WAIT_IN_PROCESS_MS: the executor gives the execution back to
 * the queue until `until` (Executions.defer), its attempt not counted and nothing logged as failed.
 */
export class Deferral extends Error {
  constructor(
    readonly until: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'Deferral';
  }
}

/** One call of a connector action, as the gate sees it. */
export interface GatedCall {
  connector: string;
  action: string;
  throttle?: ActionThrottle;
  /** The action's input, validated. */
  input: unknown;
  /** The installation's account for this app: the connection a 429 holds (none for an app without accounts). */
  credential?: { id: string; data: Record<string, string> };
  executionId: string;
  stepId: string;
}

/** What an action checks before it calls its app, and tells after a failure (server/blocks/action.ts). */
export interface ConnectionGate {
  /** Resolves when the call may go; throws a `Deferral` when it may not go soon. */
  beforeCall(call: GatedCall): Promise<void>;
  /** After the call failed: a 429 with Retry-After holds its connection until then. */
  failed(call: GatedCall, err: unknown): Promise<void>;
}

const stored = (key: string) => (key.length <= MAX_KEY_CHARS ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`);
/** A connection's hold: per connector and account, so another user's (or another account's) calls go on. */
const holdKey = (call: GatedCall) => `hold:${call.connector}:${call.credential!.id}`;
const turnKey = (call: GatedCall) => stored(`${call.connector}.${call.action}:${call.throttle!.key(call.input, call.credential)}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Throttles and 429 holds, kept in the store so that every worker process honours them:
 *
 * - a held connection (a 429 with Retry-After on that account) is not called until the hold ends;
 * - an action with a `throttle` takes the next turn of its key before it calls.
 *
 * A turn or the end of a hold within WAIT_IN_PROCESS_MS is waited for; a later one defers the
 * execution. Deferrals neither spin nor starve: a deferred execution keeps its reserved turn
 * (store.throttles.takeTurn) and comes back just before it, so each call takes one turn, in the
 * order they were taken; a hold ends when its Retry-After says, capped by RETRY_AFTER_MAX_MS.
 * Apps without accounts (Stream Data) have no connection to hold: a 429 there holds back only the
 * execution that got it (its retry waits for the Retry-After), and the gate costs them nothing.
 * CONNECTOR_THROTTLES=off leaves throttles out (an app whose limits are higher, a fake); holds stay.
 */
export function connectionGate(store: Store, options: { retryAfterMaxMs: number; connectorThrottles?: boolean }): ConnectionGate {
  return {
    // The store answers waits (milliseconds from when it read its clock), measured here from its answer.
    async beforeCall(call) {
      if (call.credential) {
        const held = await store.throttles.heldFor(holdKey(call));
        if (held !== undefined) {
          if (held > WAIT_IN_PROCESS_MS) throw new Deferral(Date.now() + held, `${call.connector}: the account is held for ${seconds(held)} after a 429`);
          await sleep(held);
        }
      }
      if (call.throttle && options.connectorThrottles !== false) {
        const wait = await store.throttles.takeTurn(turnKey(call), call.throttle.everyMs + TURN_MARGIN_MS, call, WAIT_IN_PROCESS_MS);
        if (wait > WAIT_IN_PROCESS_MS) throw new Deferral(Date.now() + wait - DUE_BEFORE_TURN_MS, `${call.connector} ${call.action}: next turn in ${seconds(wait)}`);
        if (wait > 0) await sleep(wait);
      }
    },
    async failed(call, err) {
      if (!call.credential || !(err instanceof RetryAfterError) || (err as { status?: unknown }).status !== 429 || err.retryAfterMs === undefined) return;
      await store.throttles.hold(holdKey(call), Math.min(err.retryAfterMs, options.retryAfterMaxMs));
    },
  };
}

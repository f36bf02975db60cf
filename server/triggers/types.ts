import type { z } from 'zod';
import type { Store } from '../store';
import type { SqlExecutor } from '../store/db';
import type { Installation } from '../store/installations';
import type { OAuthDeps } from '../engine/oauth';
import type { HttpClient } from '../engine/http';
import type { ConnectorSettings, WebhookDelivery } from '../connectors/types';
import type { Vault } from '../secrets';

/** How a workflow view shows its trigger. */
export interface TriggerView {
  /** The trigger's block, first of the workflow's blocks (its id is always "trigger"); `icon` is a served path or an absolute URL. */
  block: { name: string; type: string; icon: string };
  /** The workflow view's `trigger`. */
  summary: { type: string; event?: string };
}

/** A custom event a trigger declares: the definitions index these by name (server/definitions/load.ts). */
export interface DeclaredEvent {
  name: string;
  schema: Record<string, unknown>;
  browser: boolean;
}

/** What a lifecycle hook gets: the transaction that makes the change (the hook's writes commit with it), the store, and the engine's time. */
export interface TriggerHookContext {
  tx: SqlExecutor;
  store: Store;
  /** Epoch milliseconds, from the engine's clock (Date.now, except in tests that drive it). */
  now: number;
}

/** A loop a trigger type runs beside each worker (the schedule's clock). Several processes may each run one: it must take its work from the store. */
export interface TriggerRunner {
  start(): void;
  /** One round now, after the one under way if any; resolves once it is done. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export interface TriggerRunnerDeps {
  store: Store;
  /** The engine's clock. */
  now: () => number;
  /** Tells the local worker there are new executions. */
  wake: () => void;
  /** How often the runner looks at the store. */
  pollMs: number;
  /** What calling an app with an installation's account takes (the poll's list sources): its HTTP client, settings, and the vault that opens credentials. */
  apps: OAuthDeps;
}

/** What checking a delivery to an installation's URL gets: the store, and the vault that opens the secrets it keeps. */
export interface DeliveryContext {
  store: Store;
  vault: Vault;
}

/** A delivery to an installation's URL (`POST /hooks/<token>`): its headers (names in lower case), its body as sent and as parsed. */
export interface InboundDelivery extends WebhookDelivery {
  data: Record<string, unknown>;
}

/** What a trigger's work before the first block gets (see `TriggerModule.prepare`): what an action gets, with the installation's account opened. */
export interface PrepareContext {
  http: HttpClient;
  settings: ConnectorSettings;
  credential?: { app: string; data: Record<string, string> };
}

/**
 * Everything one trigger type needs, in one module (server/triggers/<type>.ts), registered in
 * index.ts: its definition schema, its routing key, its view, whether installations get a URL, its
 * check of the data that starts it, its lifecycle hooks and its runner. Methods rather than
 * function properties, so a module typed on its own schema still fits the registry's general type.
 *
 * The lifecycle hooks run in the transaction that changes the installation (see
 * server/triggers/lifecycle.ts for when each is called): `installed` on an install, a reinstall,
 * a reconfiguration and an upgrade to a version with this trigger type; `uninstalled` on an
 * uninstall and an upgrade to a version with another; `activated` and `deactivated` when `active`
 * changes (an installation written active counts as activated).
 */
export interface TriggerModule<T extends string = string, S extends z.ZodObject = z.ZodObject> {
  type: T;
  /** The trigger as a definition file declares it: a strict object whose `type` is the literal `T`. */
  schema: S;
  /**
   * What an event must be called to start an installed version of the workflow (routing joins on
   * it, in SQL); null for a trigger that starts one installation at a time (its URL, its schedule).
   */
  key(trigger: z.output<S>): string | null;
  /** Installations get an inbound URL (`/hooks/<token>`) that starts them. */
  needsUrl: boolean;
  view(trigger: z.output<S>): TriggerView;
  /**
   * The connector whose account the trigger itself uses (it subscribes, polls or fetches with the
   * installation's credential), or undefined: the definitions check it is the integration's own.
   */
  account?(trigger: z.output<S>): string | undefined;
  /**
   * Checks the data that starts one installation directly (its URL, `POST /run/workflow`) and
   * answers what is recorded; throws an ApiError when it does not fit. Without it the data is taken as sent.
   */
  accept?(trigger: z.output<S>, data: unknown): unknown;
  /**
   * Checks a delivery to an installation's URL before anything is recorded (the app trigger verifies
   * it came from the app) and says what names it across redeliveries (its idempotency key); throws
   * an ApiError (401) when it does not check out. Without it the URL's token is the only check.
   */
  receive?(ctx: DeliveryContext, installation: Installation, trigger: z.output<S>, delivery: InboundDelivery): Promise<{ idempotencyKey?: string }>;
  /**
   * The work to do before the first block, if any (the app trigger fetches the resource the payload
   * points at): the executor runs it as the step `trigger`, reused on a retry or a re-run like a
   * block's step, and what it returns is the `event` the blocks see. Undefined: the recorded data is the event.
   */
  prepare?(trigger: z.output<S>): ((ctx: PrepareContext, data: unknown) => Promise<unknown>) | undefined;
  /** The custom event the trigger declares, for the definitions' event catalogue. */
  declaredEvent?(trigger: z.output<S>): DeclaredEvent;
  installed?(ctx: TriggerHookContext, installation: Installation, trigger: z.output<S>): Promise<void>;
  uninstalled?(ctx: TriggerHookContext, installation: Installation, trigger: z.output<S>): Promise<void>;
  activated?(ctx: TriggerHookContext, installation: Installation, trigger: z.output<S>): Promise<void>;
  deactivated?(ctx: TriggerHookContext, installation: Installation, trigger: z.output<S>): Promise<void>;
  runner?(deps: TriggerRunnerDeps): TriggerRunner;
}

/** Declares a trigger type, its methods typed by its own schema. */
export function defineTrigger<T extends string, S extends z.ZodObject>(module: TriggerModule<T, S>): TriggerModule<T, S> {
  return module;
}

/** The event name of a run started for one installation by a trigger without a routing key (`webhook:<workflowId>`). */
export const directEventName = (type: string, workflowId: string) => `${type}:${workflowId}`;

import { MAX_JSON_DEPTH, rejectUnstorable } from '../json-limits';
import { blockKind, type Block } from '../blocks';
import { SkipRun, type ActionEnvironment } from '../blocks/types';
import type { ConnectorSettings } from '../connectors/types';
import { openSecrets } from '../domain/config-fields';
import { emitLifecycle } from '../domain/lifecycle';
import type { Vault } from '../secrets';
import type { Store } from '../store';
import type { ClaimedExecution, StepRecord } from '../store/executions';
import { destinationSigningSecrets, hasUserSetDestination } from './destination-secrets';
import { NonRetriableError, RetryAfterError } from './errors';
import type { HttpClient } from './http';
import { usableCredential } from './oauth';
import { redactor, type Redactor } from './redact';
import { TemplateError, type TemplateScope } from './template';
import { connectionGate, Deferral } from './throttle';
import { triggerModule } from '../triggers';

export interface ExecutorDeps {
  store: Store;
  vault: Vault;
  http: HttpClient;
  settings: ConnectorSettings;
  /** Delay before retry n (n from 1); its length is how many retries there are. */
  retrySchedule: number[];
  /**
   * The longest a destination's Retry-After can hold back a retry: a longer one is cut to this
   * (one far in the future would park the execution for good, or overflow the store's column).
   */
  retryAfterMaxMs: number;
  /** Whether actions keep their connector's throttle (CONNECTOR_THROTTLES; on unless `false`): server/engine/throttle.ts. */
  connectorThrottles?: boolean;
  /**
   * With ALLOY_ERROR_WEBHOOK_URL: a final failure's error log entry carries a notice, and the
   * notifier that sends it is woken once it is written.
   */
  errorNotifier?: { wake(): void };
}

export type Outcome = 'succeeded' | 'skipped' | 'retrying' | 'deferred' | 'failed' | 'lost';

class BlockFailure extends Error {
  constructor(
    message: string,
    readonly block: string | null,
    readonly retriable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The step id of a trigger's work before the first block (TriggerModule.prepare), as the trigger's block is "trigger" in views. */
const TRIGGER_STEP = 'trigger';

/** A filter's stop once its step is recorded: a forEach still takes it as one (it skips the item), a branch passes it on. */
class RecordedSkip extends SkipRun {}

/** Why an installation whose credential was deleted cannot run; the `credential_deleted:` prefix is for callers to match on. */
export const CREDENTIAL_DELETED = 'credential_deleted: the account this installation used was deleted; the user must connect one again';

/** The longest error message logged (an app's error text can be megabytes); the rest is cut, marked by "…". */
const MAX_LOGGED_MESSAGE = 2000;

/**
 * An error's message as logged: secrets redacted, and NUL, which an app can put in what it answers
 * and PostgreSQL's text columns refuse (the log entry was lost), shown as U+FFFD; at most
 * MAX_LOGGED_MESSAGE characters.
 */
function loggedMessage(err: unknown, hide: Redactor): string {
  const message = (hide(err instanceof Error ? err.message : String(err)) as string).replaceAll('\u0000', '\uFFFD');
  return message.length > MAX_LOGGED_MESSAGE ? `${message.slice(0, MAX_LOGGED_MESSAGE - 1)}…` : message;
}

/** The largest step input or output logged, as JSON characters (an app may answer megabytes). */
const MAX_LOGGED_VALUE = 64 * 1024;

/**
 * A step's input or output as logged: secrets redacted, and something every store can keep and
 * every logs page can return. Nested deeper than the API accepts (JSON.stringify runs out of
 * stack, and the step was never recorded), or larger than MAX_LOGGED_VALUE (a hundred 5 MiB
 * answers made the logs endpoint fail), it is logged as a note, with the start of the JSON.
 */
function loggedValue(value: unknown, hide: Redactor): unknown {
  try {
    rejectUnstorable(value, MAX_JSON_DEPTH, false);
  } catch {
    return { truncated: `nested deeper than ${MAX_JSON_DEPTH} levels: not logged` };
  }
  const redacted = hide(value);
  const json = JSON.stringify(redacted) ?? 'null';
  if (json.length <= MAX_LOGGED_VALUE) return redacted;
  return {
    truncated: `${json.length.toLocaleString('en-US')} characters of JSON: the first ${MAX_LOGGED_VALUE.toLocaleString('en-US')} are in "start"`,
    start: json.slice(0, MAX_LOGGED_VALUE),
  };
}

/**
 * Claims an execution may take beyond the attempts its retry schedule allows before it is given
 * up. Only a run that ends without an outcome (its worker crashed or lost its lease) takes a claim
 * without using an attempt: a few are a killed process, more are a crash that will repeat.
 */
const UNFINISHED_CLAIMS_ALLOWED = 3;

/** Full jitter around the scheduled delay (between half and the whole), so retries do not stampede. */
function backoff(schedule: number[], attemptInRun: number): number {
  const base = schedule[Math.min(attemptInRun - 1, schedule.length - 1)] ?? 1000;
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/**
 * Runs one claimed execution: runs each block through its kind (server/blocks/) with the scope
 * `{ event, config, user, steps }`, records its step, and decides between done, skipped (a filter
 * said so), another attempt, and failed. Actions that succeeded in an earlier attempt are not run
 * again, item by item in a forEach.
 */
export async function runExecution(deps: ExecutorDeps, claimed: ClaimedExecution, owner: string): Promise<Outcome> {
  const { store } = deps;
  /** Redacts the execution's secrets (its credential's values, its secret settings) once they are known. */
  let hide: Redactor = redactor([]);
  const attempts = deps.retrySchedule.length + 1;
  const retriesLeft = claimed.attemptInRun < attempts;
  try {
    if (claimed.attemptInRun > attempts + UNFINISHED_CLAIMS_ALLOWED) {
      const message = `Gave up after ${claimed.attemptInRun} claims: at least ${claimed.attemptInRun - attempts} of its runs ended without an outcome (the worker crashed or lost its lease during the run; see the server log)`;
      throw new BlockFailure(message, null, false);
    }
    const version = await store.versions.get(claimed.workflowId, claimed.version);
    if (!version) throw new BlockFailure(`Workflow ${claimed.workflowId} version ${claimed.version} is not released`, null, false);
    const { installation, event } = claimed.inputs;
    if (!installation) throw new BlockFailure('The installation was removed before this execution ran', null, false);
    if (!event) throw new BlockFailure('The event or its user was deleted before this execution ran', null, false);

    const credentialId = installation.credentialIds[0];
    const credential = credentialId ? await usableCredential(deps, claimed.userId, credentialId) : undefined;
    // The ISV may delete a credential installations use (as Alloy allows): no retry brings it back.
    if (credentialId && !credential) throw new BlockFailure(CREDENTIAL_DELETED, null, false);
    // Every declared field is in scope, an unset optional one as null, so mapping it is not an error.
    const config = { ...Object.fromEntries(version.definition.fields.map((f) => [f.name, null])), ...openSecrets(installation.config, deps.vault) };
    const secrets: string[] = [];
    for (const value of Object.values(credential?.data ?? {})) if (typeof value === 'string') secrets.push(value);
    for (const field of version.definition.fields) if (field.type === 'secret' && typeof config[field.name] === 'string') secrets.push(config[field.name] as string);
    hide = redactor(secrets);

    const done = claimed.hasSteps ? await store.executions.succeededSteps(claimed.executionId) : new Map<string, unknown>();
    const scope: TemplateScope = { event: event.data, config, user: { userId: claimed.userId, username: event.username }, steps: {} };
    const actions: ActionEnvironment = {
      http: deps.http,
      settings: deps.settings,
      credential: credential && { id: credentialId!, app: credential.app, data: credential.data },
      gate: connectionGate(store, deps),
      executionId: claimed.executionId,
      signingSecrets: async (block) => (hasUserSetDestination(block) ? destinationSigningSecrets(deps, installation.installationId, block.id) : [deps.settings.webhookSecret]),
    };
    const blocks = version.definition.blocks;
    // The last block's step is recorded with the execution's success, in the same write.
    const lastId = blocks[blocks.length - 1]!.id;
    let lastStep: StepRecord | undefined;
    const record = async (step: StepRecord, final: boolean) => {
      if (final && step.blockId === lastId) lastStep = step;
      else await store.executions.recordStep(claimed.executionId, step);
    };

    /** What a step's error means: its logged message, whether it is retried, and after how long the app asked (cut to RETRY_AFTER_MAX_MS, which the message then says). */
    const stepFailure = (err: unknown) => {
      const asked = err instanceof RetryAfterError ? err.retryAfterMs : undefined;
      let message = loggedMessage(err, hide);
      if (asked !== undefined && asked > deps.retryAfterMaxMs && retriesLeft)
        message += ` (Retry-After asked for ${(asked / 1000).toLocaleString('en-US', { maximumSignificantDigits: 6 })} s; waiting ${deps.retryAfterMaxMs} ms, the most RETRY_AFTER_MAX_MS allows)`;
      const retriable = !(err instanceof NonRetriableError || err instanceof TemplateError);
      return { message, retriable, retryAfterMs: asked === undefined ? undefined : Math.min(asked, deps.retryAfterMaxMs) };
    };

    const runBlocks = async (list: readonly Block[], within: TemplateScope, prefix: string): Promise<unknown> => {
      let last: unknown = null;
      for (const block of list) {
        const kind = blockKind(block);
        const stepId = `${prefix}${block.id}`;
        if (kind.runsOnce && done.has(stepId)) {
          last = done.get(stepId);
          within.steps[block.id] = { output: last };
          continue;
        }
        const startedAt = Date.now();
        let input: unknown;
        const step = (result: { output: unknown } | { error: string }): StepRecord => ({
          blockId: stepId,
          attempt: claimed.attempt,
          input: loggedValue(input ?? null, hide),
          ...('error' in result ? { error: result.error } : { output: loggedValue(result.output, hide) }),
          startedAt,
          finishedAt: Date.now(),
        });
        try {
          const output = (await kind.run(block, { scope: within, stepId, prefix, logInput: (value) => (input = value), runBlocks, actions })) ?? null;
          // A logic block runs again on a retry (it decides from the scope alone), but its step is recorded once.
          if (!done.has(stepId)) await record(step({ output }), true);
          within.steps[block.id] = { output };
          last = output;
        } catch (err) {
          // Recorded where it happened; the blocks holding it let it through.
          if (err instanceof BlockFailure || err instanceof RecordedSkip || err instanceof Deferral) throw err;
          if (err instanceof SkipRun) {
            if (!done.has(stepId)) await record(step({ output: { passed: false, reason: err.reason } }), false);
            throw new RecordedSkip(err.reason);
          }
          const { message, retriable, retryAfterMs } = stepFailure(err);
          await store.executions.recordStep(claimed.executionId, step({ error: message }));
          // A nested step's failure says where it ran (which forEach item).
          throw new BlockFailure(stepId === block.id ? message : `${message} (at step ${stepId})`, block.id, retriable, retryAfterMs);
        }
      }
      return last;
    };

    // A trigger's work before the first block (the app trigger fetches what the payload points at):
    // the step "trigger", reused like a block's; what it returns is the event the blocks see.
    const prepare = triggerModule(version.definition.trigger.type).prepare?.(version.definition.trigger);
    if (prepare && done.has(TRIGGER_STEP)) scope.event = done.get(TRIGGER_STEP);
    else if (prepare) {
      const startedAt = Date.now();
      const input = loggedValue(event.data, hide);
      try {
        scope.event = await prepare({ http: deps.http, settings: deps.settings, credential: actions.credential }, event.data);
      } catch (err) {
        const { message, retriable, retryAfterMs } = stepFailure(err);
        await store.executions.recordStep(claimed.executionId, { blockId: TRIGGER_STEP, attempt: claimed.attempt, input, error: message, startedAt, finishedAt: Date.now() });
        throw new BlockFailure(message, TRIGGER_STEP, retriable, retryAfterMs);
      }
      const output = loggedValue(scope.event, hide);
      await store.executions.recordStep(claimed.executionId, { blockId: TRIGGER_STEP, attempt: claimed.attempt, input, output, startedAt, finishedAt: Date.now() });
    }

    try {
      await runBlocks(blocks, scope, '');
    } catch (err) {
      if (!(err instanceof SkipRun)) throw err;
      return (await store.executions.skip(claimed.executionId, owner)) ? 'skipped' : 'lost';
    }
    return (await store.executions.succeed(claimed.executionId, owner, lastStep)) ? 'succeeded' : 'lost';
  } catch (err) {
    // Waiting for a throttle's turn or a held connection: back to the queue, no attempt used, nothing failed.
    if (err instanceof Deferral) return (await store.executions.defer(claimed.executionId, owner, err.until)) ? 'deferred' : 'lost';
    const failure = err instanceof BlockFailure ? err : new BlockFailure(loggedMessage(err, hide), null, !(err instanceof NonRetriableError));
    if (failure.retriable && retriesLeft) {
      const delay = Math.max(backoff(deps.retrySchedule, claimed.attemptInRun), failure.retryAfterMs ?? 0);
      return (await store.executions.retryAt(claimed.executionId, owner, Date.now() + delay, failure.message)) ? 'retrying' : 'lost';
    }
    const message = failure.retriable ? `${failure.message} (gave up after ${claimed.attemptInRun} attempts)` : failure.message;
    const now = Date.now();
    const { userId, workflowId, executionId } = claimed;
    const told = { userId, workflowId, executionId, block: failure.block, message, occurredAt: new Date(now).toISOString() };
    const failed = await store.executions.fail(claimed, owner, { block: failure.block, message }, now, Boolean(deps.errorNotifier), (tx) =>
      emitLifecycle(store, 'execution.failed', told, tx),
    );
    if (!failed) return 'lost';
    deps.errorNotifier?.wake();
    return 'failed';
  }
}

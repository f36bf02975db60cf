import { z } from 'zod';
import { SQL_INTEGER_MAX } from '../../store/db';

// The console's wire shapes (/console/session, /console/api/*; docs/console.md), shared by the
// server and the console app. Only zod is imported here, and the stores' INTEGER bound from
// server/store/db.ts, a module that imports nothing (its other exports are tree-shaken away), so
// the console's bundle may import it without pulling in server code.

const LIMIT_RANGE = 'must be a whole number from 1 to 100';
const Limit = z.coerce.number({ error: LIMIT_RANGE }).int({ error: LIMIT_RANGE }).min(1, { error: LIMIT_RANGE }).max(100, { error: LIMIT_RANGE }).default(50);
const Cursor = z.string().max(4096, 'must be at most 4096 characters').optional().meta({ description: 'nextCursor of the previous page (opaque).' });
const Id = z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters');
const Time = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date and time, e.g. 2024-05-01T10:00:00Z' });
const Iso = z.string();

export const PageQuery = z.object({ limit: Limit, cursor: Cursor });
const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });

// ── session ─────────────────────────────────────────────────────────────────
export const SignInBody = z.object({ apiKey: z.string().min(1, 'required').max(1024, 'must be at most 1024 characters') });
export const SessionView = z.object({
  csrfToken: z.string().meta({ description: 'Send it back as `x-csrf-token` on every call that is not a GET.' }),
  expiresAt: Iso,
});

// ── overview ────────────────────────────────────────────────────────────────
export const WINDOWS = ['hour', 'day', 'week'] as const;
export const Window = z.enum(WINDOWS);
export type Window = z.infer<typeof Window>;
export const OverviewQuery = z.object({ window: Window.default('hour'), workflowId: Id.optional() });
const Outcomes = {
  executions: z.number().int(),
  successRate: z.number().nullable().meta({ description: 'succeeded / (succeeded + failed); null when none finished.' }),
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
};
export const OverviewPoint = z.object({
  t: Iso,
  executions: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
});
export const Overview = z.object({
  window: Window,
  bucketSeconds: z.number().int(),
  from: Iso,
  to: Iso,
  series: z.array(OverviewPoint),
  totals: z.object({ ...Outcomes, errors: z.number().int() }),
  byWorkflow: z.array(z.object({ workflowId: z.string(), name: z.string(), ...Outcomes, errors: z.number().int() })),
});

// ── executions ──────────────────────────────────────────────────────────────
export const ExecutionStatus = z.enum(['queued', 'running', 'succeeded', 'skipped', 'failed']);
export const ExecutionsQuery = PageQuery.extend({
  workflowId: Id.optional(),
  userId: Id.optional().meta({ description: 'A user id or username.' }),
  status: ExecutionStatus.optional(),
  from: Time.optional().meta({ description: 'Created at or after.' }),
  to: Time.optional().meta({ description: 'Created before.' }),
});
export const ExecutionSummary = z.object({
  executionId: z.string(),
  workflowId: z.string(),
  workflowName: z.string(),
  userId: z.string(),
  username: z.string(),
  status: ExecutionStatus,
  attempts: z.number().int(),
  createdAt: Iso,
  finishedAt: Iso.nullable(),
  durationMs: z.number().nullable().meta({ description: 'From the event to the end of the run (finishedAt - createdAt).' }),
  error: z.string().nullable(),
});
export const ExecutionsPage = page(ExecutionSummary);
export const StepView = z.object({
  blockId: z.string(),
  name: z.string(),
  status: z.enum(['succeeded', 'failed', 'running']),
  input: z.unknown(),
  output: z.unknown(),
  error: z.string().nullable(),
  startedAt: Iso,
  finishedAt: Iso.nullable(),
  durationMs: z.number().nullable(),
  attempt: z.number().int(),
  reused: z.boolean().meta({ description: 'Taken from an earlier attempt (fromAttempt) without calling the block again.' }),
  fromAttempt: z.number().int().nullable(),
});
export const ExecutionDetail = ExecutionSummary.extend({
  version: z.number().int(),
  trigger: z.object({ event: z.string(), data: z.unknown() }),
  steps: z.array(StepView),
  canRerun: z.boolean().meta({ description: 'A failed execution: it can be run again.' }),
  rerunFromFailed: z.boolean().meta({ description: 'It failed in a step: a re-run can start at that step, reusing the outputs of those before it.' }),
});
export const RerunBody = z.object({ from: z.enum(['start', 'failed']) });
export const RerunResponse = z.object({ executionId: z.string(), status: z.literal('queued') });

// ── users ───────────────────────────────────────────────────────────────────
export const UsersQuery = PageQuery.extend({ q: z.string().trim().max(255, 'must be at most 255 characters').optional() });
export const UserRow = z.object({ userId: z.string(), username: z.string(), createdAt: Iso, installations: z.number().int() });
export const UsersPage = page(UserRow);
export const ConnectionState = z.enum(['healthy', 'refreshing', 'needs_reconnect', 'deleted']);
export const UserDetail = z.object({
  user: z.object({ userId: z.string(), username: z.string(), createdAt: Iso }),
  installations: z.array(
    z.object({
      installationId: z.string(),
      workflowId: z.string(),
      workflowName: z.string(),
      integrationId: z.string(),
      version: z.number().int(),
      active: z.boolean(),
      connection: z.object({ credentialId: z.string(), app: z.string(), displayName: z.string().nullable(), status: ConnectionState, lastError: z.string().nullable() }).nullable(),
    }),
  ),
  executions: z.array(ExecutionSummary),
});

// ── errors ──────────────────────────────────────────────────────────────────
export const ErrorsQuery = PageQuery.extend({ workflowId: Id.optional(), window: Window.default('day') });
export const ErrorGroup = z.object({
  groupId: z.string().meta({ description: 'Names the group (workflow, block, message) and the window it was listed for: pass it to POST /console/api/errors/replay.' }),
  workflowId: z.string(),
  workflowName: z.string(),
  blockId: z.string().nullable(),
  message: z.string(),
  count: z.number().int(),
  firstSeen: Iso,
  lastSeen: Iso,
});
export const ErrorsPage = page(ErrorGroup);
export const GroupReplayBody = z.object({ groupId: z.string().min(1, 'required').max(8192, 'must be at most 8192 characters'), dryRun: z.boolean() });
export const GroupReplayResponse = z.object({ count: z.number().int(), replayId: z.string().optional() });

// ── definitions ─────────────────────────────────────────────────────────────
export const Definitions = z.object({
  data: z.array(
    z.object({
      integrationId: z.string(),
      app: z.string(),
      workflows: z.array(
        z.object({
          workflowId: z.string(),
          name: z.string(),
          currentVersion: z.number().int().nullable().meta({ description: 'The version in the definition files; null for a workflow no longer in them.' }),
          versions: z.array(z.object({ version: z.number().int(), releasedAt: Iso, installations: z.number().int() })),
        }),
      ),
    }),
  ),
});
/** A released version, as a query or path value: a positive integer the stores' INTEGER column holds. */
export const VersionNumber = z.coerce
  .number({ error: 'must be a version number' })
  // Not a safe integer says all there is to say: no "at most" after it.
  .int({ error: 'must be a version number', abort: true })
  .min(1, 'must be a version number')
  .max(SQL_INTEGER_MAX, `must be at most ${SQL_INTEGER_MAX}`);
export const DiffQuery = z.object({ from: VersionNumber, to: VersionNumber });
export const Diff = z.object({
  workflowId: z.string(),
  from: z.number().int(),
  to: z.number().int(),
  lines: z.array(z.object({ op: z.enum([' ', '+', '-']), text: z.string() })),
});
export const VersionInstallationsPage = page(
  z.object({ installationId: z.string(), userId: z.string(), username: z.string(), active: z.boolean(), installedAt: Iso, updatedAt: Iso }),
);

// ── deliveries ──────────────────────────────────────────────────────────────
export const DeliveryStatus = z.enum(['pending', 'delivered', 'failed', 'unknown']);
export const DeliveriesQuery = PageQuery.extend({
  stream: z.enum(['errors', 'lifecycle']).meta({ description: 'The error webhook (ALLOY_ERROR_WEBHOOK_URL) or the lifecycle webhooks (ALLOY_EVENTS_WEBHOOK_URL).' }),
  status: DeliveryStatus.exclude(['unknown']).optional(),
});
export const Delivery = z.object({
  deliveryId: z.string().meta({ description: 'The `webhook-id` it is sent with: `err_…` (error webhook) or `msg_…` (lifecycle).' }),
  stream: z.enum(['errors', 'lifecycle']),
  event: z.string().meta({ description: '`workflow.error`, or the lifecycle type (installation.created…).' }),
  url: z.string().nullable().meta({ description: 'The endpoint, without credentials or query; null when the stream is not configured now.' }),
  status: DeliveryStatus.meta({ description: '`unknown`: an error notice sent before outcomes were recorded.' }),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable().meta({ description: 'The HTTP status of the last answer; null when none came.' }),
  lastResponse: z.string().nullable().meta({ description: 'What went wrong at the last try; null when it was delivered or not tried.' }),
  createdAt: Iso,
  lastAttemptAt: Iso.nullable(),
  nextAttemptAt: Iso.nullable(),
});
export const DeliveriesPage = page(Delivery).extend({ configured: z.boolean().meta({ description: 'Whether the stream has an endpoint in this configuration.' }) });
export const RedeliverResponse = z.object({ deliveryId: z.string(), status: z.literal('pending') });

import { z } from 'zod';
import { AuthView, ConfigValues, CredentialData, FieldView, WorkflowView } from '../widget/schema';

// The shapes the widget shares live in widget/schema.ts; the ISV-only ones are here.
export {
  BlockView,
  FieldView,
  WorkflowView,
  CredentialFieldView,
  AuthView,
  IntegrationView,
  IntegrationDetail,
  IntegrationsResponse,
  CredentialData,
  CredentialResponse,
  InstallationView,
  InstallResponse,
  InstallationsResponse,
  SigningSecret,
  RunEventResponse,
  AppEventBody,
  EndUserCredentialBody,
  EndUserInstallBody,
  EndUserReconfigureBody,
} from '../widget/schema';

// A missing key reads "required" rather than zod's "expected string, received undefined".
z.config({
  customError: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined),
});

// ── shared pieces ───────────────────────────────────────────────────────────
const UserRef = z.string().trim().min(1).max(255).meta({ description: 'A userId, or the username (Alloy accepts either).' });
const LIMIT_RANGE = 'must be a whole number from 1 to 1000';
const Limit = z.coerce
  .number({ error: LIMIT_RANGE })
  .int({ error: LIMIT_RANGE })
  .min(1, { error: LIMIT_RANGE })
  .max(1000, { error: LIMIT_RANGE })
  .default(100)
  .meta({ description: 'Rows per page, 1 to 1000.' });

export const UserIdQuery = z.object({ userId: UserRef });
export const PageQuery = z.object({ limit: Limit, cursor: z.string().optional() });
export const LogsQuery = z.object({ userId: UserRef.optional(), limit: Limit, cursor: z.string().optional() });
export const ErrorsQuery = z.object({ userId: UserRef.optional(), limit: Limit });

export const SuccessResponse = z.object({ success: z.literal(true) });

// ── users ───────────────────────────────────────────────────────────────────
export const Username = z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters');
export const CreateUserBody = z.object({ username: Username, fullName: z.string().max(255).nullish() });
export const BatchUsersBody = z.object({
  users: z.array(CreateUserBody).min(1, 'must list at least one user').max(1000, 'at most 1000 users per batch'),
});
export const UpdateUserBody = z
  .object({ username: Username.optional(), fullName: z.string().max(255).nullish() })
  .refine((b) => b.username !== undefined || b.fullName !== undefined, 'give username or fullName');

export const User = z
  .object({ userId: z.string(), username: z.string(), fullName: z.string().nullable(), createdAt: z.string(), updatedAt: z.string() })
  ;
export const CreateUserResponse = z.object({ userId: z.string() });
export const BatchUsersResponse = z.object({
  data: z.array(z.object({ username: z.string(), userId: z.string().optional(), error: z.object({ code: z.string(), message: z.string() }).optional() })),
});
export const UsersPage = z.object({ data: z.array(User), nextCursor: z.string().nullable() });
export const TokenResponse = z.object({ token: z.string(), expiresAt: z.string() });

// ── integrations ────────────────────────────────────────────────────────────
export const EventsResponse = z.object({
  data: z.array(z.object({ event: z.string(), schema: z.record(z.string(), z.unknown()), jsonSchema: z.record(z.string(), z.unknown()), browser: z.boolean(), workflowIds: z.array(z.string()) })),
});
export const AppsResponse = z.object({
  data: z.array(z.object({ app: z.string(), name: z.string(), icon: z.string(), authTypes: z.array(z.string()) })),
});
export const CredentialMetadataResponse = z.object({
  data: z.object({ app: z.string(), name: z.string(), auth: z.array(AuthView) }),
});

// ── credentials and installations ───────────────────────────────────────────
export const HeadlessCredentialBody = z.object({
  userId: UserRef,
  credential: z.object({ type: z.string().min(1).meta({ description: 'The app, e.g. "slack".' }), data: CredentialData }),
});
export const StartInstallationBody = z.object({
  userId: UserRef,
  integrationId: z.string().min(1),
  workflowIds: z.array(z.string().min(1)).min(1).optional().meta({ description: 'Defaults to every workflow of the integration.' }),
  credentialId: z.string().optional(),
});
export const StartInstallationResponse = z.object({
  installationId: z.string(),
  integrationId: z.string(),
  credentialRequired: z.boolean(),
  auth: z.array(AuthView),
  workflows: z.array(z.object({ workflowId: z.string(), name: z.string(), fields: z.array(FieldView) })),
  expiresAt: z.string(),
});
export const CompleteInstallationBody = z.object({
  userId: UserRef,
  installationId: z.string().min(1),
  credentialId: z.string().optional(),
  data: ConfigValues,
});

// ── events ──────────────────────────────────────────────────────────────────
export const IdempotencyKey = z.string().min(1).max(255);
export const RunEventBody = z.object({
  event: z.string().min(1).max(100),
  userId: UserRef,
  data: z.record(z.string(), z.unknown()).default({}),
  id: IdempotencyKey.optional().meta({ description: 'Idempotency key; the Idempotency-Key header does the same.' }),
});
export const RunWorkflowBody = z.object({ userId: UserRef, workflowId: z.string().min(1), data: z.record(z.string(), z.unknown()).default({}) });
export const RerunResponse = z.object({ success: z.literal(true), executionId: z.string(), status: z.literal('queued') });

// ── workflows ───────────────────────────────────────────────────────────────
export const WorkflowUserBody = z.object({ userId: UserRef, workflowId: z.string().min(1) });
export const UpgradeBody = z.object({ userId: UserRef });
export const UpgradeResponse = z.object({ success: z.literal(true), version: z.number(), upgraded: z.boolean() });
export const WorkflowsResponse = z.object({ data: z.array(WorkflowView) });
export const VersionsResponse = z.object({
  data: z.array(z.object({ version: z.number(), releasedAt: z.string(), current: z.boolean(), fields: z.array(FieldView) })),
});
export const WorkflowUsersResponse = z.object({
  data: z.array(z.object({ userId: z.string(), username: z.string(), active: z.boolean(), installedVersion: z.number(), installedAt: z.string() })),
});
export const ExecutionLogView = z
  .object({
    executionId: z.string(),
    eventId: z.string(),
    event: z.string(),
    userId: z.string(),
    workflowId: z.string(),
    installationId: z.string(),
    version: z.number(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed']),
    attempts: z.number(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
    steps: z.array(z.object({ blockId: z.string(), attempt: z.number(), input: z.unknown(), output: z.unknown(), error: z.string().nullable(), startedAt: z.string(), finishedAt: z.string().nullable() })),
  })
  ;
export const LogsResponse = z.object({ data: z.array(ExecutionLogView), nextCursor: z.string().nullable() });
export const ErrorsResponse = z.object({
  data: z.array(z.object({ workflowId: z.string(), userId: z.string(), executionId: z.string().nullable(), block: z.string().nullable(), errorOccurredAt: z.string(), message: z.string() })),
});
export const AnalyticsResponse = z.object({
  workflowId: z.string(),
  totalWorkflowRuns: z.number(),
  totalErrors: z.number(),
  succeededRuns: z.number(),
  failedRuns: z.number(),
  queuedRuns: z.number(),
  runningRuns: z.number(),
  totalInstalls: z.number(),
  activeInstalls: z.number(),
  lastRunAt: z.string().nullable(),
});
export const DeletedLogsResponse = z.object({ success: z.literal(true), deleted: z.object({ executions: z.number(), errors: z.number(), events: z.number() }) });
export const DeactivatedResponse = z.object({ success: z.literal(true), deactivated: z.number() });
export const InstallUrlResponse = z.object({ url: z.string(), expiresAt: z.string() });

// ── end user (widget) ───────────────────────────────────────────────────────

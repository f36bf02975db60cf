import { z } from 'zod';
import { LIFECYCLE_TYPES, type LifecycleType } from './domain/lifecycle';
import { AuthView, ConfigValues, ConnectionStatus, ConnectionView, CredentialData, FieldView, WorkflowView } from '../widget/schema';
import { IntegrationDetail, IntegrationView, RunEventResponse } from '../widget/schema';
import { InstallationView as WidgetInstallationView, InstallResponse as WidgetInstallResponse } from '../widget/schema';

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
  SigningSecret,
  RunEventResponse,
  AppEventBody,
  EndUserCredentialBody,
  EndUserReconnectBody,
  EndUserInstallBody,
  EndUserReconfigureBody,
} from '../widget/schema';

/** An installation as the API shows it; `needsReconnect` is the server's own (the widget reads the rest). */
export const InstallationView = WidgetInstallationView.extend({
  needsReconnect: z.boolean().meta({ description: 'Its credential was deleted or refused by the app: the user must connect an account again.' }),
  connection: ConnectionView.nullable().meta({ description: 'The account it uses, with its state; null when the app needs none.' }),
});
export const InstallResponse = WidgetInstallResponse.extend({ installations: z.array(InstallationView) });
export const InstallationsResponse = z.object({ data: z.array(InstallationView) });

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
/**
 * `userId` on the ISV operations the browser SDK calls (middleware/browser-sdk.ts): required with
 * the API key; with a user token, the token's user, whom it may name and no one else.
 */
const ActingUserRef = UserRef.optional().meta({
  description:
    'A userId, or the username (Alloy accepts either). Required with the API key; with a user token in x-alloy-user-token, the token’s user (naming another user is a 403).',
});
export const ActingUserQuery = z.object({ userId: ActingUserRef });
/** How the ISV operations the browser SDK calls say so in the API reference. */
export const BROWSER_SDK_AUTH_NOTE =
  'Also takes the end user’s token in the x-alloy-user-token header instead of the API key, as the vendor’s browser SDK (alloy-frontend) sends it, with CORS for ALLOY_ALLOWED_ORIGINS: the request then acts for that user only.';
export const PageQuery = z.object({ limit: Limit, cursor: z.string().optional() });
const PAGE_RANGE = 'must be a whole number of at least 1';
export const LogsQuery = z.object({
  userId: UserRef.optional(),
  limit: Limit,
  cursor: z.string().optional(),
  page: z.coerce
    .number({ error: PAGE_RANGE })
    .int({ error: PAGE_RANGE })
    .min(1, { error: PAGE_RANGE })
    .optional()
    .meta({ description: "Page number, from 1 (Alloy's paging); `cursor` pages without counting." }),
  order: z.enum(['asc', 'desc']).default('desc').meta({ description: 'By creation time; newest first by default.' }),
});
export const ErrorsQuery = z.object({ userId: UserRef.optional(), limit: Limit });

export const SuccessResponse = z.object({ success: z.literal(true) });

// ── users ───────────────────────────────────────────────────────────────────
export const Username = z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters');
export const CreateUserBody = z.object({ username: Username, fullName: z.string().max(255).nullish() });
/**
 * `POST /users`: Alloy's headless guide posts with no body at all. Such a user's username is its
 * own userId: unique by construction, and looking the user up by either finds the same one.
 */
export const CreateUserRequest = CreateUserBody.optional().meta({ description: 'Optional: a user created without a body has its userId as its username.' });
export const BatchUsersBody = z.object({
  users: z.array(CreateUserBody).min(1, 'must list at least one user').max(1000, 'at most 1000 users per batch'),
});
export const UpdateUserBody = z
  .object({ username: Username.optional(), fullName: z.string().max(255).nullish() })
  .refine((b) => b.username !== undefined || b.fullName !== undefined, 'give username or fullName');

export const User = z.object({ userId: z.string(), username: z.string(), fullName: z.string().nullable(), createdAt: z.string(), updatedAt: z.string() });
export const CreateUserResponse = z.object({ userId: z.string() });
export const BatchUsersResponse = z.object({
  data: z.array(z.object({ username: z.string(), userId: z.string().optional(), error: z.object({ code: z.string(), message: z.string() }).optional() })),
});
export const UsersPage = z.object({ data: z.array(User), nextCursor: z.string().nullable() });
export const TokenResponse = z.object({ token: z.string(), expiresAt: z.string() });

// ── integrations ────────────────────────────────────────────────────────────
// What the ISV sees answers every documented version at once (a superset) where the versions do
// not give one key two types: 2024-03's `app` and `blocks[]` beside 2025-09's `primaryConnector`,
// `connectors[]` and `credentials[]`. The widget's own views (widget/schema.ts) stay as they are.
/** A block as 2025-09's list of integrations names it. */
export const ConnectorView = z.object({ name: z.string(), id: z.string(), connector: z.string(), icon: z.string(), subtitle: z.string() });
export const IsvWorkflowView = WorkflowView.extend({ connectors: z.array(ConnectorView).meta({ description: '2025-09: the blocks, trigger first.' }) });
export const IsvIntegrationView = IntegrationView.extend({
  description: z.string(),
  primaryConnector: z.string().meta({ description: 'The display name of the app the integration is for.' }),
  credentials: z.array(z.string()).meta({ description: "The ids of the user's credentials for that app." }),
  workflows: z.array(IsvWorkflowView),
});
export const IsvIntegrationsResponse = z.object({ data: z.array(IsvIntegrationView) });
export const IntegrationResponse = z.object({
  data: IntegrationDetail.extend({
    primaryConnector: z.string(),
    workflows: z.array(IntegrationDetail.shape.workflows.element.extend({ connectors: z.array(ConnectorView) })),
  }),
});
export const EventsResponse = z.object({
  data: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      body: z.record(z.string(), z.unknown()).meta({ description: 'The fields the event carries, each with its type (the event schema).' }),
      event: z.string(),
      schema: z.record(z.string(), z.unknown()),
      jsonSchema: z.record(z.string(), z.unknown()),
      browser: z.boolean(),
      workflowIds: z.array(z.string()),
    }),
  ),
});
// ── apps and credential metadata (Alloy's headless guide, credential-medata-by-app) ─────
export const AppView = z.object({
  name: z.string().meta({ description: 'The app id, as credential.type and the metadata path take it (e.g. "slack").' }),
  icon: z.string(),
  type: z.array(z.enum(['action', 'trigger'])).meta({ description: 'What the app does in workflows.' }),
  oauth: z.boolean().meta({ description: 'Whether an account is connected through OAuth (GET /headless/oauthUrl) on this server.' }),
  app: z.string().meta({ description: 'The app id (same as `name`).' }),
  displayName: z.string(),
  authTypes: z.array(z.string()),
});
export const AppsResponse = z.object({ data: z.array(AppView) });
export const CredentialProperty = z.object({
  name: z.string().meta({ description: 'A key of `credential.data` (POST /headless/credentials); for an OAuth app, a query parameter of GET /headless/oauthUrl.' }),
  displayName: z.string(),
  description: z.string().optional(),
});
export const CredentialMetadata = z.object({
  connector: z.string().meta({ description: 'The app id (API version 2025-09).' }),
  name: z.string().meta({ description: 'The app id (API versions up to 2024-03).' }),
  icon: z.string(),
  isOauth: z.boolean().meta({
    description:
      'true: connect through GET /headless/oauthUrl, passing `properties` as query parameters; false: POST /headless/credentials with `properties` as the keys of credential.data.',
  }),
  properties: z.array(CredentialProperty),
  app: z.string(),
  displayName: z.string(),
  auth: z.array(AuthView).meta({ description: 'Every way this server can connect an account of the app, with the API-key form’s fields (an OAuth app may also take one).' }),
});
export const CredentialMetadataResponse = z.object({ data: CredentialMetadata });
export const CredentialMetadataListResponse = z.object({ data: z.array(CredentialMetadata) });

// ── credentials and installations ───────────────────────────────────────────
export const HeadlessCredentialBody = z.object({
  userId: UserRef,
  credential: z.object({ type: z.string().min(1).meta({ description: 'The app, e.g. "slack".' }), data: CredentialData }),
  credentialId: z.string().min(1).optional().meta({
    description:
      'Reconnect this credential of the user’s instead of adding one: the same id with the new values, every installation on it kept (one that needed reconnecting is healthy again).',
  }),
});
export const CreateCredentialResponse = z.object({ success: z.literal(true), credentialId: z.string() });
export const UserCredentialView = z.object({
  credentialId: z.string(),
  type: z.string().meta({ description: 'The app (e.g. "slack"), as credential.type took it.' }),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  app: z.string(),
  authType: z.enum(['apiKey', 'oauth2']).or(z.string()),
  status: ConnectionStatus,
  displayName: ConnectionView.shape.displayName,
  lastError: ConnectionView.shape.lastError,
  lastErrorAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});
export const UserCredentialsResponse = z.object({ data: z.array(UserCredentialView) });
export const OAuthUrlQuery = z.looseObject({
  userId: UserRef,
  app: z.string().min(1).optional().meta({ description: 'The app to connect (e.g. "slack"); `credentialName` is taken for it too.' }),
  credentialName: z.string().min(1).optional(),
  integrationId: z.string().optional(),
  credentialId: z.string().min(1).optional().meta({ description: 'Reconnect this credential of the user’s: the sign-in replaces its tokens, its installations kept.' }),
});
export const OAuthUrlResponse = z.object({
  oauthUrl: z.string().meta({
    description:
      'A link to open in the user’s browser: single-use, valid 10 minutes, and whoever opens it connects their account to this user (treat it as a secret). The provider’s consent screen follows; the credential is then listed by GET /credentials/users/{userId}.',
  }),
  expiresAt: z.string(),
});

const FormField = z.object({
  name: z.string(),
  displayName: z.string(),
  type: z.string().meta({ description: '"string", "number", "boolean", "array" (multiselect) or "object" (fieldMapping); `inputType` says which control.' }),
  required: z.boolean(),
  inputType: FieldView.shape.type,
  description: z.string().optional(),
  placeholder: z.string().optional(),
  default: z.unknown().optional(),
  options: FieldView.shape.options,
  optionsSource: FieldView.shape.optionsSource,
  sourceFields: FieldView.shape.sourceFields,
});
export const FormBlock = z.object({
  workflowId: z.string(),
  app: z.string(),
  blockId: z.string().meta({ description: 'Where the fields belong: send it back with their values.' }),
  fields: z.array(FormField),
});
export const StartInstallationBody = z.object({
  userId: UserRef,
  integrationId: z.string().min(1),
  credentialIds: z
    .array(z.string().min(1))
    .optional()
    .meta({ description: 'The credentials to use; without them, the user’s credential of the integration’s app (the latest, if several).' }),
  workflowIds: z.array(z.string().min(1)).min(1).optional().meta({ description: 'Defaults to every workflow of the integration.' }),
  credentialId: z.string().optional().meta({ description: 'One credential: the same as credentialIds with one id.' }),
});
export const StartInstallationResponse = z.object({
  installationId: z.string(),
  data: z.array(FormBlock),
  integrationId: z.string(),
  credentialRequired: z.boolean(),
  auth: z.array(AuthView),
  workflows: z.array(z.object({ workflowId: z.string(), name: z.string(), fields: z.array(FieldView) })),
  expiresAt: z.string(),
});
const FilledBlock = z.object({
  workflowId: z.string().min(1),
  blockId: z.string().min(1),
  fields: z.array(z.object({ name: z.string().min(1), value: z.unknown() })).default([]),
});
export const CompleteInstallationBody = z.object({
  installationId: z.string().min(1),
  data: z
    .union([z.array(FilledBlock), ConfigValues])
    .default([])
    .meta({
      description:
        'The values, as startInstallation listed their fields: `[{ workflowId, blockId, fields: [{ name, value }] }]` (or one object of values by field name, for every workflow).',
    }),
  userId: UserRef.optional().meta({ description: 'Taken from the started installation when left out.' }),
  credentialId: z.string().optional(),
});
export const CompleteInstallationResponse = InstallResponse.extend({ message: z.literal('Installation completed successfully') });
export const EditInstallationBody = z.object({
  userId: UserRef,
  integrationId: z.string().min(1),
  credentialIds: z.array(z.string().min(1)).optional(),
  installationId: z.string().min(1).optional(),
});
const FilledFields = z.object({ workflowId: z.string(), blockId: z.string(), fields: z.array(z.object({ name: z.string(), value: z.unknown() })) });
export const HeadlessInstallationView = z.object({
  installationId: z.string(),
  integrationId: z.string(),
  userId: z.string(),
  formData: z.array(FormBlock),
  credentialIds: z.record(z.string(), z.string()).meta({ description: 'The credential used, by app.' }),
  workflowIds: z.array(z.string()),
  installedAt: z.string(),
  enabled: z.boolean(),
  needsReconnect: z.boolean().meta({ description: 'Its credential was deleted or refused by the app: the user must connect an account again.' }),
  connection: ConnectionView.nullable().meta({ description: 'The account it uses, with its state; null when the app needs none.' }),
  workflowId: z.string(),
  version: z.number(),
  active: z.boolean(),
  config: z.record(z.string(), z.unknown()),
  webhookUrl: z.string().nullable(),
  updatedAt: z.string(),
});
export const AllInstallationsQuery = z.object({ userId: UserRef.optional() });
export const HeadlessInstallationsResponse = z.object({ data: z.array(HeadlessInstallationView) });
export const EditInstallationResponse = z.object({
  data: z.object({
    installationId: z.string().meta({ description: 'Complete the edit with it (POST /headless/completeInstallation).' }),
    integrationId: z.string(),
    userId: z.string(),
    formData: z.array(FormBlock),
    credentialIds: z.record(z.string(), z.string()),
    workflowIds: z.array(z.string()),
    installedData: z.array(FilledFields).meta({ description: 'The current values (secrets redacted: send "[redacted]" or leave one out to keep it).' }),
    installedAt: z.string(),
    expiresAt: z.string(),
  }),
});

// ── events ──────────────────────────────────────────────────────────────────
export const IdempotencyKey = z.string().min(1).max(255);
export const RunEventBody = z.object({
  event: z.string().min(1).max(100),
  userId: UserRef,
  data: z.record(z.string(), z.unknown()).default({}),
  id: IdempotencyKey.optional().meta({ description: 'Idempotency key; the Idempotency-Key header does the same.' }),
});
/** A workflow named by id or, as Alloy allows, by its name (one of the two). */
const WorkflowRef = {
  workflowId: z.string().min(1).optional().meta({ description: 'The workflow; or give workflowName.' }),
  workflowName: z.string().min(1).optional().meta({ description: 'The workflow by its name; or give workflowId.' }),
};
const oneWorkflowRef = (b: { workflowId?: string; workflowName?: string }) => b.workflowId !== undefined || b.workflowName !== undefined;
const WORKFLOW_REF_MISSING = { error: 'give workflowId or workflowName', path: ['workflowId'] };
export const RunWorkflowBody = z.object({ userId: UserRef, ...WorkflowRef, data: z.record(z.string(), z.unknown()).default({}) }).refine(oneWorkflowRef, WORKFLOW_REF_MISSING);
export const RunWorkflowResponse = RunEventResponse.extend({ message: z.literal('success') });
export const RerunResponse = z.object({ success: z.literal(true), executionId: z.string(), status: z.literal('queued') });

// ── workflows ───────────────────────────────────────────────────────────────
export const WorkflowUserBody = z.object({ userId: ActingUserRef, ...WorkflowRef }).refine(oneWorkflowRef, WORKFLOW_REF_MISSING);
export const ActivatedResponse = z.object({ success: z.literal(true), activated: z.literal(true) });
export const WorkflowResponse = z.object({
  data: WorkflowView.extend({
    createdAt: z.string().meta({ description: 'When its first version was released.' }),
    updatedAt: z.string().meta({ description: 'When its latest version was released.' }),
    connectors: z.array(z.object({ connectorName: z.string(), connectorId: z.string(), connector: z.string(), icon: z.string() })),
  }),
});
export const UpgradeBody = z.object({ userId: UserRef });
export const UpgradeResponse = z.object({ success: z.literal(true), version: z.number(), upgraded: z.boolean() });
export const WorkflowsResponse = z.object({ data: z.array(WorkflowView) });
export const VersionsResponse = z.object({
  data: z.array(z.object({ version: z.number(), releasedAt: z.string(), current: z.boolean(), fields: z.array(FieldView) })),
});
export const WorkflowUsersResponse = z.object({
  data: z.array(
    z.object({
      username: z.string(),
      fullName: z.string().nullable(),
      userId: z.string(),
      workflowActive: z.boolean(),
      active: z.boolean(),
      installedVersion: z.number(),
      installedAt: z.string(),
    }),
  ),
});
export const ExecutionLogView = z.object({
  executionId: z.string(),
  eventId: z.string(),
  event: z.string(),
  requestId: z.string().nullable().meta({
    description:
      "The X-Request-Id of the request that sent the event (the caller's, or one the server made); the server's log lines of that request carry it as reqId. Null when no request did (a schedule, a poll).",
  }),
  userId: z.string(),
  workflowId: z.string(),
  installationId: z.string(),
  version: z.number(),
  status: z.enum(['queued', 'running', 'succeeded', 'success', 'skipped', 'failed']).meta({
    description:
      'A succeeded run is "succeeded" in 2025-09 and "success" in 2023-12 and 2024-03, as Alloy answers there. "skipped": a filter block stopped it (its step says why).',
  }),
  attempts: z.number(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
  steps: z.array(
    z.object({
      blockId: z.string(),
      attempt: z.number(),
      input: z.unknown(),
      output: z.unknown(),
      error: z.string().nullable(),
      startedAt: z.string(),
      finishedAt: z.string().nullable(),
      reused: z.boolean().meta({
        description:
          'True when this attempt took the block’s output from an earlier attempt (a retry, or a re-run from the failed block) without calling it; the entry is that earlier step.',
      }),
      fromAttempt: z.number().nullable().meta({ description: 'For a reused step, the attempt whose output was reused; else null.' }),
    }),
  ),
  reruns: z
    .array(
      z.object({
        attempt: z.number().meta({ description: 'The attempt the re-run started at.' }),
        from: z.enum(['failed', 'start']),
        replayId: z.string().nullable().meta({ description: 'The bulk replay that asked for it, if one did.' }),
        requestedAt: z.string(),
      }),
    )
    .meta({ description: 'Re-runs of this execution, oldest first (docs/replay.md).' }),
  stoppedAt: z.string().nullable(),
  finished: z.boolean().meta({ description: 'Whether the run succeeded.' }),
  results: z.array(
    z.object({
      blockId: z.string(),
      connectorId: z.string(),
      startedAt: z.string(),
      stoppedAt: z.string().nullable(),
      data: z.array(z.unknown()).meta({ description: "The block's output: `[{ json }]` in 2023-12 and 2024-03, `[[{ json }]]` in 2025-09." }),
      error: z.string().nullable(),
    }),
  ),
  inputs: z.array(z.object({ connectorId: z.string(), data: z.unknown() })),
});
export const LogsResponse = z.object({ data: z.array(ExecutionLogView), nextCursor: z.string().nullable() });
// `GET /logs`: Alloy's account-wide log of runs.
export const LOG_MESSAGES = {
  failed: 'executionError',
  succeeded: 'executionSuccess',
  skipped: 'executionSkipped',
  running: 'executionRunning',
  queued: 'executionQueued',
} as const;
export const AccountLogsQuery = z.object({
  filters: z.string().optional().meta({
    description:
      'A JSON array of `{ columns: { value }, operators: { value }, userinput: { value }, condition: { value: "and" } }`; columns: message, data.executionId, forgeWorkflowId, createdAt, userId, forgeWorkflow.integrationId._id, workflowVersion; operators: equals, notequals, greaterthan, lessthan, contains, notcontains.',
  }),
  workflowId: z.string().optional(),
  associatedUserId: UserRef.optional(),
  skip: z.coerce.number({ error: 'must be a whole number of at least 0' }).int().min(0, { error: 'must be a whole number of at least 0' }).default(0),
  limit: Limit.default(10),
  sortBy: z.enum(['createdAt', 'completedAt', 'message', 'userId']).default('createdAt'),
  sortOrder: z.enum(['asc', 'desc']).default('desc'),
});
export const AccountLogsResponse = z.object({
  notifications: z.array(
    z.object({
      _id: z.string(),
      message: z.enum(Object.values(LOG_MESSAGES) as [string, ...string[]]),
      data: z.object({ executionId: z.string(), executionUuid: z.string() }),
      startedAt: z.string().nullable(),
      completedAt: z.string().nullable(),
      createdAt: z.string(),
      customVersion: z.boolean(),
      workflowVersion: z.number(),
      teamId: z.string().meta({ description: 'One account per server: always "default".' }),
      forgeWorkflowId: z.string(),
      workflowId: z.string(),
      userId: z.string(),
      user: z.object({ email: z.string(), fullName: z.string().nullable() }),
      forgeWorkflow: z.object({ name: z.string(), integrationId: z.object({ _id: z.string(), name: z.string(), blockId: z.string(), icon: z.string() }) }),
      installationId: z.string(),
      error: z.string().nullable(),
    }),
  ),
  lastFetched: z.string(),
  pagination: z.object({ totalItems: z.number(), totalPages: z.number(), currentPage: z.number(), pageSize: z.number() }),
});
export const ErrorsResponse = z.object({
  data: z.array(
    z.object({ workflowId: z.string(), userId: z.string(), executionId: z.string().nullable(), block: z.string().nullable(), errorOccurredAt: z.string(), message: z.string() }),
  ),
});
export const AnalyticsResponse = z.object({
  workflowId: z.string(),
  totalAppActions: z.number().meta({ description: "Block runs over the workflow's lifetime (each attempt counts)." }),
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
export const DeletedLogsResponse = z.object({
  message: z.literal('Success'),
  success: z.literal(true),
  deleted: z.object({ executions: z.number(), errors: z.number(), events: z.number() }),
});
export const DeactivatedResponse = z.object({ message: z.literal('Success'), success: z.literal(true), deactivated: z.number() });
export const InstallUrlResponse = z.object({ url: z.string(), expiresAt: z.string() });

// ── end user (widget) ───────────────────────────────────────────────────────

// ── lifecycle webhooks (docs/webhooks.md) ───────────────────────────────────
const WebhookType = z.enum(LIFECYCLE_TYPES as [LifecycleType, ...LifecycleType[]]);
const DELIVERY_LIMIT_RANGE = 'must be a whole number from 1 to 200';
export type WebhookDeliveryType = z.infer<typeof WebhookType>;
export const WebhookDeliveriesQuery = z.object({
  status: z.enum(['pending', 'delivered', 'failed']).optional().meta({ description: 'Only messages in this state.' }),
  type: WebhookType.optional().meta({ description: 'Only messages of this type.' }),
  limit: z.coerce
    .number({ error: DELIVERY_LIMIT_RANGE })
    .int({ error: DELIVERY_LIMIT_RANGE })
    .min(1, { error: DELIVERY_LIMIT_RANGE })
    .max(200, { error: DELIVERY_LIMIT_RANGE })
    .default(50)
    .meta({ description: 'Messages per page, 1 to 200.' }),
  cursor: z.string().optional().meta({ description: 'nextCursor of the previous page.' }),
});
export const WebhookDelivery = z.object({
  id: z.string().meta({ description: 'The message id, sent as `webhook-id` at every try and redelivery.' }),
  type: WebhookType,
  status: z
    .enum(['pending', 'delivered', 'failed'])
    .meta({ description: '`pending` until the endpoint answered 2xx (`delivered`) or the tries ran out or it was refused for good (`failed`).' }),
  attempts: z.number().int().meta({ description: 'Tries since it was stored or last redelivered.' }),
  lastResponseCode: z.number().int().nullable().meta({ description: 'The HTTP status of the last answer; null when none came (a network error) or not tried yet.' }),
  lastError: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable().meta({ description: 'When the next try is due (pending only).' }),
  createdAt: z.string().meta({ description: 'When the change happened: the body’s `timestamp`.' }),
  data: z.record(z.string(), z.unknown()).meta({ description: 'The body’s `data`, as sent.' }),
});
export const WebhookDeliveriesPage = z.object({ data: z.array(WebhookDelivery), nextCursor: z.string().nullable() });
const WebhookEndpointStatus = z
  .enum(['enabled', 'disabled'])
  .meta({ description: '`disabled` after ALLOY_EVENTS_WEBHOOK_DISABLE_AFTER_DAYS of failures with no success: messages are kept, not sent.' });
export const WebhookEndpointView = z.object({
  url: z.string().meta({ description: 'ALLOY_EVENTS_WEBHOOK_URL, without its query string or credentials.' }),
  status: WebhookEndpointStatus,
  failingSince: z.string().nullable().meta({ description: 'The first failed try since the last success.' }),
  disabledAt: z.string().nullable(),
  disableAfterDays: z.number(),
  pending: z.number().int().meta({ description: 'Messages waiting to be sent (held while disabled).' }),
});

// ── operations ──────────────────────────────────────────────────────────────
export const HealthResponse = z.object({
  ok: z.literal(true),
  eventsWebhook: z
    .object({ status: WebhookEndpointStatus, disabledAt: z.string().nullable() })
    .optional()
    .meta({ description: 'With ALLOY_EVENTS_WEBHOOK_URL: whether its endpoint is enabled.' }),
});
/** RFC 7517's JWK Set: the public keys that verify user tokens. */
export const JwksResponse = z.object({
  keys: z.array(
    z.looseObject({
      kty: z.string(),
      kid: z.string().optional(),
      alg: z.string().optional(),
      use: z.string().optional(),
    }),
  ),
});

// ── re-runs and bulk replay (docs/replay.md) ────────────────────────────────
export const RerunFrom = z.enum(['failed', 'start'], { error: 'must be "failed" or "start"' }).meta({
  description:
    '`failed` (the default): blocks that succeeded keep their recorded outputs and are not called again; the run starts at the block that failed. `start`: every block runs again.',
});
export const RerunQuery = z.object({ from: RerunFrom.optional() });
export const RerunBody = z.object({ from: RerunFrom.optional() }).optional().meta({ description: 'Optional; `from` may also be given in the query.' });
const ReplayTime = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 time such as 2024-05-01T12:00:00Z' })
  .meta({ description: 'An ISO 8601 time; compared with when the execution failed.' });
export const ReplayFilterBody = z
  .strictObject(
    {
      workflowId: z.string().min(1).max(255).optional(),
      userId: UserRef.optional(),
      error: z.string().min(1).max(500).optional().meta({
        description:
          'Text the execution’s error message contains (case-sensitive). Error codes such as `needs_reconnect` or `credential_deleted` begin the message, so naming one selects its failures.',
      }),
      from: ReplayTime.optional().meta({ description: 'Failed at or after this time (ISO 8601).' }),
      to: ReplayTime.optional().meta({ description: 'Failed before this time (ISO 8601).' }),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown filter field: ${issue.keys.join(', ')}` : undefined) },
  )
  .refine((f) => f.from === undefined || f.to === undefined || Date.parse(f.from) < Date.parse(f.to), { error: 'must be after from', path: ['to'] })
  .meta({ description: 'Which failed executions: every field given narrows it; `{}` takes every failed execution.' });
export const ReplayBody = z.strictObject({
  filter: ReplayFilterBody,
  dryRun: z.boolean().default(false).meta({ description: 'Only count the failed executions the filter takes; nothing changes.' }),
  from: RerunFrom.default('failed'),
});
export const ReplayStatus = z.enum(['running', 'done', 'cancelled']);
export const ReplayView = z.object({
  replayId: z.string(),
  status: ReplayStatus,
  filter: z.object({
    workflowId: z.string().optional(),
    userId: z.string().optional(),
    error: z.string().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
  }),
  from: RerunFrom,
  total: z.number().int().meta({ description: 'The failed executions the filter took when the replay was made.' }),
  requeued: z.number().int().meta({ description: 'Queued again so far.' }),
  skipped: z.number().int().meta({ description: 'No longer failed when their turn came (re-run meanwhile, or deleted): left as they were.' }),
  remaining: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export const ReplayResponse = z
  .union([
    z.object({ dryRun: z.literal(true), count: z.number().int().meta({ description: 'The failed executions a replay would take now.' }) }),
    ReplayView.extend({ dryRun: z.literal(false) }),
  ])
  .meta({ description: 'A dry run: `{ dryRun: true, count }`. Else the replay made: `replayId`, `total`, and its progress so far.' });

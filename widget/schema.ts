import { z } from 'zod';

/**
 * The wire shapes the widget and the server share: what the end-user endpoints answer and take.
 * The server validates and documents with these schemas; the widget imports only their types
 * (`import type`), so zod never reaches the browser bundle.
 */

/**
 * Bounds on what an end user can store, so that no user grows the store without limit
 * (SECURITY.md, "Limits and abuse"). Lengths count characters as zod does; sizes count the
 * UTF-8 bytes of the value's JSON, as the store holds it.
 */
export const LIMITS = {
  /** One credential field: room for a PEM private key or a service-account JSON. */
  credentialValueChars: 16 * 1024,
  /** A credential's whole data. */
  credentialDataBytes: 64 * 1024,
  /** Connected accounts per user per app, OAuth ones included; the user deletes an unused one to add another. */
  credentialsPerApp: 10,
  /** One string of a configuration: a text, secret or free select value, or an item of a multiselect. */
  configValueChars: 4 * 1024,
  /** Items of a multiselect value. */
  configItems: 100,
  /** An installation's whole configuration (its workflow's fields, before secrets are encrypted). */
  configBytes: 64 * 1024,
  /** The data of an app event the browser sends. */
  eventDataBytes: 64 * 1024,
} as const;

/**
 * `schema`, refined to values whose JSON is at most `max` bytes of UTF-8 (what the store would
 * hold). Checked only once the parts are valid: a field over its own cap is named alone.
 */
export function jsonAtMost<T extends z.ZodType>(schema: T, max: number) {
  return schema.refine((value) => new TextEncoder().encode(JSON.stringify(value)).length <= max, {
    error: `must be at most ${max} bytes of JSON`,
    when: (payload) => payload.issues.length === 0,
  });
}

export const BlockView = z.object({ name: z.string(), id: z.string(), type: z.string(), icon: z.string() });
/**
 * Every type a configurable field can have, declared once: the definitions schema and FieldView
 * take their enum from it, and the server has one module per type (server/domain/fields/). A plain
 * array, so the widget can import its values without zod.
 */
export const FIELD_TYPES = ['text', 'secret', 'number', 'boolean', 'select', 'multiselect', 'textarea', 'date', 'datetime', 'fieldMapping'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** One choice of a select, a multiselect or a field mapping, from the definition or loaded from the app. */
export const FieldOptionView = z.object({
  label: z.string(),
  value: z.string(),
  required: z.boolean().optional().meta({ description: "Of a field mapping's targets: the account requires this field, so something must be mapped to it." }),
  custom: z.boolean().optional().meta({ description: 'A field the account added itself (a custom field), not one every account has.' }),
});
/** Where a field's options come from: an option source of a connector, loaded with the user's credential. */
export const OptionsSourceView = z.object({
  connector: z.string(),
  source: z.string(),
  dependsOn: z
    .array(z.string())
    .optional()
    .meta({ description: "Fields of the same workflow whose values the options depend on: load them with each one's value as a query parameter named after it." }),
});
/** One of the ISV's own fields that a `fieldMapping` field maps to the account's fields. */
export const SourceFieldView = z.object({ name: z.string(), label: z.string(), required: z.boolean() });
export const FieldView = z.object({
  name: z.string(),
  label: z.string(),
  type: z.enum(FIELD_TYPES),
  required: z.boolean(),
  description: z.string().optional(),
  placeholder: z.string().optional(),
  default: z.unknown().optional(),
  options: z.array(FieldOptionView).optional(),
  optionsSource: OptionsSourceView.optional(),
  sourceFields: z
    .array(SourceFieldView)
    .optional()
    .meta({ description: "Of a fieldMapping field: the ISV's fields to map. Its value is `{ <source field name>: <option value> }`." }),
});
export const WorkflowView = z.object({
  workflowId: z.string(),
  integrationId: z.string(),
  name: z.string(),
  description: z.string().optional(),
  installed: z.boolean(),
  version: z.number(),
  installedVersion: z.number().nullable(),
  active: z.boolean(),
  credentialId: z.string().nullable().optional().meta({ description: 'The account the installation uses (null when it needs none).' }),
  trigger: z.object({ type: z.string(), event: z.string().optional() }),
  blocks: z.array(BlockView),
});
export const CredentialFieldView = z.object({
  name: z.string(),
  label: z.string(),
  type: z.enum(['text', 'secret']),
  required: z.boolean(),
  description: z.string().optional(),
  placeholder: z.string().optional(),
});
export const AuthView = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('apiKey'), fields: z.array(CredentialFieldView) }),
  z.object({ type: z.literal('oauth2'), scopes: z.array(z.string()) }),
]);
/** A connected account's state: `deleted` is what an installation whose account was deleted shows. */
export const ConnectionStatus = z.enum(['healthy', 'refreshing', 'needs_reconnect', 'deleted']).meta({
  description: '`healthy`; `refreshing` (its token is being refreshed); `needs_reconnect` (the app refused it: the user must connect it again); `deleted`.',
});
/** A connected account, as the user and the ISV see it (never its secret). */
export const ConnectionView = z.object({
  credentialId: z.string(),
  app: z.string(),
  displayName: z.string().nullable().meta({ description: 'The account as the app named it when connected: the Slack team, the store, the database host.' }),
  status: ConnectionStatus,
  lastError: z.string().nullable().meta({ description: 'The last error with this account (a refused refresh, say); null once it works.' }),
  lastErrorAt: z.string().nullable(),
});
export const IntegrationView = z.object({
  integrationId: z.string(),
  app: z.string(),
  description: z.string().optional(),
  installed: z.boolean(),
  needsReconnect: z.boolean().meta({ description: 'The account an installed workflow uses must be connected again.' }),
  connections: z.array(ConnectionView).meta({ description: 'The accounts the installed workflows use, with their state.' }),
  icon: z.string(),
  workflows: z.array(WorkflowView),
});
export const IntegrationDetail = IntegrationView.extend({
  connector: z.string(),
  auth: z.array(AuthView).meta({ description: 'Ways to connect the account the integration needs; empty when none is needed.' }),
  credentials: z.array(ConnectionView.extend({ inUse: z.boolean().meta({ description: 'An installation uses it: it cannot be deleted.' }) })).meta({
    description: 'The user’s accounts of the app: an installation may use any of them.',
  }),
  workflows: z.array(WorkflowView.extend({ fields: z.array(FieldView), config: z.record(z.string(), z.unknown()).nullable() })),
});
export const IntegrationsResponse = z.object({ data: z.array(IntegrationView) });
// The caps per field (and on the whole, once the fields are known) are checked where each
// workflow's and each app's schema is built: server/domain/config-fields.ts, credentialDataSchema.
export const ConfigValues = z
  .record(z.string(), z.unknown())
  .default({})
  .meta({
    description: `The configurable field values, by field name. Each text, secret or free select value, and each item of a multiselect, at most ${LIMITS.configValueChars} characters; a multiselect at most ${LIMITS.configItems} items; the whole at most ${LIMITS.configBytes} bytes of JSON.`,
  });
export const CredentialData = z.record(z.string(), z.unknown()).meta({
  description: `The app's account fields (GET /metadata/credentials/{app}), each at most ${LIMITS.credentialValueChars} characters; the whole at most ${LIMITS.credentialDataBytes} bytes of JSON. At most ${LIMITS.credentialsPerApp} credentials per user per app.`,
});
export const CredentialResponse = z.object({
  credentialId: z.string(),
  displayName: z.string().nullable().optional().meta({ description: 'The account as the app named it when checked.' }),
});
export const InstallationView = z.object({
  installationId: z.string(),
  userId: z.string(),
  integrationId: z.string(),
  workflowId: z.string(),
  version: z.number(),
  active: z.boolean(),
  config: z.record(z.string(), z.unknown()),
  credentialIds: z.array(z.string()),
  webhookUrl: z.string().nullable(),
  installedAt: z.string(),
  updatedAt: z.string(),
});
export const SigningSecret = z
  .object({
    installationId: z.string(),
    workflowId: z.string(),
    blockId: z.string(),
    secret: z.string().meta({ description: 'The `whsec_…` secret that deliveries to this destination are signed with; verify them with any Standard Webhooks library.' }),
  })
  .meta({ description: "The signing secret of a destination whose URL the user's settings choose. Shown once: when it is made, and when it is rotated." });
export const InstallResponse = z.object({
  success: z.literal(true),
  installationId: z.string(),
  workflowIds: z.array(z.string()),
  installations: z.array(InstallationView),
  signingSecrets: z
    .array(SigningSecret)
    .meta({ description: 'Secrets made by this call for destinations the user chooses (none on a reinstall that keeps them). Not shown again.' }),
});
export const InstallationsResponse = z.object({ data: z.array(InstallationView) });
export const RunEventResponse = z.object({ message: z.string(), eventId: z.string(), executionIds: z.array(z.string()) });
// Its size is checked in runEvent (server/domain/events.ts), after the API has refused a body nested
// too deeply to measure (JSON.stringify would run out of stack).
export const AppEventBody = z.record(z.string(), z.unknown()).meta({ description: `The event data, at most ${LIMITS.eventDataBytes} bytes of JSON.` });
export const EndUserCredentialBody = z.object({ app: z.string().min(1), data: CredentialData });
/** Reconnects an account: new values for the same credential (its installations are kept). */
export const EndUserReconnectBody = z.object({ data: CredentialData });
export const EndUserInstallBody = z.object({
  integrationId: z.string().min(1),
  workflowIds: z.array(z.string().min(1)).min(1).optional(),
  credentialId: z.string().optional(),
  config: ConfigValues,
});
export const EndUserReconfigureBody = z.object({ config: ConfigValues, credentialId: z.string().optional() });

export type Integration = z.output<typeof IntegrationView>;
export type Workflow = z.output<typeof WorkflowView>;
export type Field = z.output<typeof FieldView>;
export type Auth = z.output<typeof AuthView>;
export type IntegrationDetailView = z.output<typeof IntegrationDetail>;
export type Installation = z.output<typeof InstallationView>;
export type InstallResult = z.output<typeof InstallResponse>;
export type AcceptedEvent = z.output<typeof RunEventResponse>;
export type FieldOption = z.output<typeof FieldOptionView>;
/** Every error the server sends: `{ error: { code, message, details? } }`. */
export type ErrorBody = { error: { code: string; message: string; details?: Array<{ path: string; message: string }> } };

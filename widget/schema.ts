import { z } from 'zod';

/**
 * The wire shapes the widget and the server share: what the end-user endpoints answer and take.
 * The server validates and documents with these schemas; the widget imports only their types
 * (`import type`), so zod never reaches the browser bundle.
 */

export const BlockView = z.object({ name: z.string(), id: z.string(), type: z.string(), icon: z.string() });
export const FieldView = z
  .object({
    name: z.string(),
    label: z.string(),
    type: z.enum(['text', 'secret', 'number', 'boolean', 'select', 'multiselect']),
    required: z.boolean(),
    description: z.string().optional(),
    placeholder: z.string().optional(),
    default: z.unknown().optional(),
    options: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
    optionsSource: z.object({ connector: z.string(), source: z.string() }).optional(),
  });
export const WorkflowView = z
  .object({
    workflowId: z.string(),
    integrationId: z.string(),
    name: z.string(),
    description: z.string().optional(),
    installed: z.boolean(),
    version: z.number(),
    installedVersion: z.number().nullable(),
    active: z.boolean(),
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
export const IntegrationView = z
  .object({
    integrationId: z.string(),
    app: z.string(),
    description: z.string().optional(),
    installed: z.boolean(),
    needsReconnect: z.boolean().meta({ description: 'The account an installed workflow uses must be connected again.' }),
    icon: z.string(),
    workflows: z.array(WorkflowView),
  });
export const IntegrationDetail = IntegrationView.extend({
  connector: z.string(),
  auth: z.array(AuthView).meta({ description: 'Ways to connect the account the integration needs; empty when none is needed.' }),
  credentials: z.array(z.object({ credentialId: z.string(), app: z.string(), status: z.string() })),
  workflows: z.array(WorkflowView.extend({ fields: z.array(FieldView), config: z.record(z.string(), z.unknown()).nullable() })),
});
export const IntegrationsResponse = z.object({ data: z.array(IntegrationView) });
export const ConfigValues = z.record(z.string(), z.unknown()).default({});
export const CredentialData = z.record(z.string(), z.unknown());
export const CredentialResponse = z.object({ credentialId: z.string() });
export const InstallationView = z
  .object({
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
export const InstallResponse = z.object({ success: z.literal(true), installationId: z.string(), workflowIds: z.array(z.string()), installations: z.array(InstallationView) });
export const InstallationsResponse = z.object({ data: z.array(InstallationView) });
export const RunEventResponse = z.object({ message: z.string(), eventId: z.string(), executionIds: z.array(z.string()) });
export const AppEventBody = z.record(z.string(), z.unknown());
export const EndUserCredentialBody = z.object({ app: z.string().min(1), data: CredentialData });
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
export type FieldOption = { label: string; value: string };
/** Every error the server sends: `{ error: { code, message, details? } }`. */
export type ErrorBody = { error: { code: string; message: string; details?: Array<{ path: string; message: string }> } };

import { z } from 'zod';

/** One field of the account form the end user fills to connect an app. */
export const CredentialFieldSchema = z.object({
  name: z.string(),
  label: z.string(),
  type: z.enum(['text', 'secret']),
  required: z.boolean(),
  description: z.string().optional(),
  placeholder: z.string().optional(),
});
export type CredentialField = z.infer<typeof CredentialFieldSchema>;

/** How a connector authenticates: `none`, an API-key style form, or OAuth 2.0. */
export const ConnectorAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('apiKey'), fields: z.array(CredentialFieldSchema) }),
  z.object({ type: z.literal('oauth2'), scopes: z.array(z.string()) }),
]);
export type ConnectorAuth = z.infer<typeof ConnectorAuthSchema>;

/**
 * A connector: an app we talk to. Actions, option sources and triggers join it in the engine;
 * here is what the API needs to describe it and to collect a credential for it.
 */
export interface Connector {
  id: string;
  name: string;
  icon: string;
  /** Ways to connect an account, preferred first; empty when the app needs no account. */
  auth: ConnectorAuth[];
}

/** The credential schema for an app's API-key form: every declared field, required ones non-empty. */
export function credentialDataSchema(fields: readonly CredentialField[]) {
  return z.strictObject(
    Object.fromEntries(
      fields.map((f) => [f.name, f.required ? z.string().trim().min(1, `${f.label} is required`) : z.string().optional()]),
    ),
  );
}

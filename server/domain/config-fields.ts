import { z } from 'zod';
import type { Field, WorkflowDefinition } from '../definitions/schema';
import type { Vault } from '../secrets';
import { jsonAtMost, LIMITS } from '../../widget/schema';
import { fieldModule } from './fields';

// The type's module validates a given value; a missing one is the field's default, or refused when required.
function fieldSchema(field: Field): z.ZodType {
  const schema = fieldModule(field.type).value(field);
  if (field.default !== undefined) return schema.default(field.default as never);
  return field.required ? schema : schema.optional();
}

/** The zod schema of a workflow's configuration: one key per configurable field, nothing else, within `LIMITS.configBytes`. */
export function configSchema(fields: readonly Field[]) {
  return jsonAtMost(z.object(Object.fromEntries(fields.map((f) => [f.name, fieldSchema(f)]))), LIMITS.configBytes);
}

/**
 * Picks and validates a workflow's own fields from the values the user gave for the whole
 * integration (workflows of one integration may share a field such as `channel`).
 */
export function parseWorkflowConfig(workflow: WorkflowDefinition, values: Record<string, unknown>) {
  const own = Object.fromEntries(workflow.fields.filter((f) => f.name in values).map((f) => [f.name, values[f.name]]));
  return configSchema(workflow.fields).safeParse(own);
}

const SECRET = '$secret';
/** What the API shows instead of a stored secret value. */
export const REDACTED = '[redacted]';

const isSealed = (value: unknown): value is Record<typeof SECRET, string> => Boolean(value && typeof value === 'object' && SECRET in value);

/** Encrypts the values of `secret` fields before they are stored. */
export function sealSecrets(fields: readonly Field[], config: Record<string, unknown>, vault: Vault): Record<string, unknown> {
  const out = { ...config };
  for (const f of fields) {
    if (fieldModule(f.type).secret && typeof out[f.name] === 'string') out[f.name] = { [SECRET]: vault.encrypt(out[f.name] as string) };
  }
  return out;
}

/** What the API shows of a stored configuration: secret values replaced by a mark. */
export function redactSecrets(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, isSealed(v) ? REDACTED : v]));
}

/** The configuration with secrets decrypted, for the engine. */
export function openSecrets(config: Record<string, unknown>, vault: Vault): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, isSealed(v) ? vault.decrypt(String(v[SECRET])) : v]));
}

/**
 * For a reconfiguration or reinstall: a `secret` field the client sends back as "[redacted]" (what
 * it was shown) or leaves out keeps the value stored for it; a new value replaces it, and an empty
 * string clears an optional one. Returns the values to validate, with kept secrets opened, and the
 * names of fields sent as "[redacted]" with nothing stored to keep.
 */
export function keepStoredSecrets(
  fields: readonly Field[],
  values: Record<string, unknown>,
  stored: Record<string, unknown> | undefined,
  vault: Vault,
): { values: Record<string, unknown>; nothingToKeep: string[] } {
  const out = { ...values };
  const nothingToKeep: string[] = [];
  for (const f of fields) {
    if (!fieldModule(f.type).secret) continue;
    const given = out[f.name];
    if (given !== undefined && given !== REDACTED) continue;
    const previous = stored?.[f.name];
    if (isSealed(previous)) out[f.name] = vault.decrypt(String(previous[SECRET]));
    else if (given === REDACTED) nothingToKeep.push(f.name);
  }
  return { values: out, nothingToKeep };
}

/** Names of fields that were added, removed or changed between two versions of a workflow. */
export function fieldChanges(from: readonly Field[], to: readonly Field[]): { added: string[]; removed: string[]; changed: string[] } {
  const before = new Map(from.map((f) => [f.name, f]));
  const after = new Map(to.map((f) => [f.name, f]));
  // What decides which values are valid: a new option, a required target or a new source field is a change.
  const shape = (f: Field) =>
    JSON.stringify([f.type, f.required, f.options?.map((o) => [o.value, o.required === true]), f.optionsSource, 'sourceFields' in f ? f.sourceFields : undefined]);
  return {
    added: [...after.keys()].filter((n) => !before.has(n)),
    removed: [...before.keys()].filter((n) => !after.has(n)),
    changed: [...after.keys()].filter((n) => before.has(n) && shape(before.get(n)!) !== shape(after.get(n)!)),
  };
}

import type { WorkflowDefinition } from '../definitions/schema';
import { ApiError, type ErrorDetail } from '../errors';
import type { Services } from './context';
import { fieldModule } from './fields';
import { inDependencyOrder } from './fields/dependencies';
import { loadOptions } from './options';

export interface OptionCheckInput {
  userId: string;
  /** The installation's credential: the options are the ones this account sees. */
  credentialId: string | null;
  workflow: WorkflowDefinition;
  /** The validated configuration, secrets still open. */
  config: Record<string, unknown>;
  /** The request's name for the configuration, for error paths: `config` or `data`. */
  configPath: string;
}

/**
 * Checks each value of a field whose options come from the app (a select, a multiselect, a field
 * mapping with `optionsSource`) against the options loaded with the installation's credential and
 * the values of the fields it depends on (parents first; a child of a refused parent is not
 * checked). A value not among them is a 400 naming the field and the value; the app failing is the
 * same 502 as the options route's. The widget loaded the same options moments before, so the
 * cache usually answers.
 */
export async function checkOptionSources(services: Services, input: OptionCheckInput): Promise<void> {
  const { config, configPath, workflow } = input;
  const byName = new Map(workflow.fields.map((f) => [f.name, f]));
  const details: ErrorDetail[] = [];
  const refused = new Set<string>();
  const refuse = (field: string, path: (string | number)[], message: string) => {
    refused.add(field);
    details.push({ path: [configPath, field, ...path].join('.'), message });
  };
  for (const field of inDependencyOrder(workflow.fields)) {
    const check = fieldModule(field.type).checkOptions;
    const value = config[field.name];
    if (!field.optionsSource || !check || value === undefined) continue;
    const parents = field.optionsSource.dependsOn ?? [];
    if (parents.some((p) => refused.has(p))) continue;
    const missing = parents.filter((p) => config[p] === undefined);
    for (const p of missing) refuse(p, [], `required: the options of ${field.label} depend on it`);
    if (missing.length > 0) continue;
    const params = Object.fromEntries(parents.map((p) => [p, fieldModule(byName.get(p)!.type).asParam!(config[p])]));
    const options = await loadOptions(services, {
      userId: input.userId,
      connectorId: field.optionsSource.connector,
      source: field.optionsSource.source,
      credentialId: input.credentialId,
      params,
      paramPath: (name) => `${configPath}.${name}`,
      what: `the field "${field.label}"`,
    });
    for (const issue of check(field, value, options)) refuse(field.name, issue.path, issue.message);
  }
  if (details.length > 0) {
    const summary = details.map((d) => `${d.path}: ${d.message}`).join('; ');
    throw new ApiError(400, 'invalid_request', `Invalid configuration for "${workflow.name}": ${summary}`, details);
  }
}

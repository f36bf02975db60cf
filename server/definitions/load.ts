import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { compileEventSchema, DefinitionError } from './event-schema.js';
import { jsonFilesIn, readJsonFile } from './json-files.js';
import { IntegrationSchema, type IntegrationDefinition, type WorkflowDefinition } from './schema.js';
import { triggerModule } from '../triggers';

export { DefinitionError };

/** A custom event as declared by one or more workflows, with its compiled data validator. */
export interface CustomEventDefinition {
  name: string;
  schema: Record<string, unknown>;
  validator: z.ZodType;
  browser: boolean;
  workflowIds: string[];
}

/** Every integration, workflow and custom event the ISV defined, validated and indexed. */
export interface Definitions {
  /** Sorted by id. */
  integrations: IntegrationDefinition[];
  integration(id: string): IntegrationDefinition | undefined;
  workflow(id: string): { integration: IntegrationDefinition; workflow: WorkflowDefinition } | undefined;
  /** Custom events by exact name. */
  events: Map<string, CustomEventDefinition>;
}

// Zod's default for a missing key is "Invalid input: expected string, received undefined".
const errorMap = (issue: { code?: string; input?: unknown }) => (issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined);

function parseIntegration(raw: unknown, file: string): IntegrationDefinition {
  const result = IntegrationSchema.safeParse(raw, { error: errorMap });
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  const more = rest.map((i) => `; ${i.path.join('.')}: ${i.message}`).join('');
  throw new DefinitionError(first!.message + more, file, first!.path as (string | number)[]);
}

/** Validates integration definitions given as objects; `sourceNames[i]` names item i in errors. */
export function buildDefinitions(integrations: unknown[], sourceNames?: string[]): Definitions {
  const byId = new Map<string, { integration: IntegrationDefinition; file: string }>();
  const workflows = new Map<string, { integration: IntegrationDefinition; workflow: WorkflowDefinition; file: string }>();
  const events = new Map<string, CustomEventDefinition>();
  const eventFiles = new Map<string, string>();

  integrations.forEach((raw, index) => {
    const file = sourceNames?.[index] ?? `definition #${index}`;
    const integration = parseIntegration(raw, file);
    const other = byId.get(integration.id);
    if (other) throw new DefinitionError(`duplicate integration id "${integration.id}" (also in ${other.file})`, file, ['id']);
    byId.set(integration.id, { integration, file });

    integration.workflows.forEach((workflow, w) => {
      const twin = workflows.get(workflow.id);
      if (twin) {
        const reason = `duplicate workflow id "${workflow.id}" (also in ${twin.file})`;
        throw new DefinitionError(reason, file, ['workflows', w, 'id']);
      }
      workflows.set(workflow.id, { integration, workflow, file });

      const event = triggerModule(workflow.trigger.type).declaredEvent?.(workflow.trigger);
      if (!event) return;
      const path = ['workflows', w, 'trigger'];
      const known = events.get(event.name);
      if (!known) {
        const validator = compileEventSchema(event.schema, [...path, 'schema']);
        events.set(event.name, { ...event, validator, workflowIds: [workflow.id] });
        eventFiles.set(event.name, file);
        return;
      }
      // One event name feeds every workflow listening to it, so they must agree on its shape.
      const where = `workflow "${known.workflowIds[0]}" (in ${eventFiles.get(event.name)})`;
      const declared = `event "${event.name}" is declared by ${where}`;
      if (!isDeepStrictEqual(known.schema, event.schema)) {
        throw new DefinitionError(`${declared} with a different schema`, file, [...path, 'schema']);
      }
      if (known.browser !== event.browser) {
        throw new DefinitionError(`${declared} with browser: ${known.browser}`, file, [...path, 'browser']);
      }
      known.workflowIds.push(workflow.id);
    });
  });

  const sorted = [...byId.values()].map((e) => e.integration).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    integrations: sorted,
    integration: (id) => byId.get(id)?.integration,
    workflow: (id) => {
      const found = workflows.get(id);
      return found && { integration: found.integration, workflow: found.workflow };
    },
    events,
  };
}

/** Reads and validates every *.json file of `dir` (not recursive, in file-name order). */
export function loadDefinitions(dir: string): Definitions {
  const files = jsonFilesIn(dir);
  if (files === undefined) throw new DefinitionError('directory does not exist', dir);
  if (files.length === 0) throw new DefinitionError('no .json definition files in directory', dir);
  return buildDefinitions(files.map(readJsonFile), files);
}

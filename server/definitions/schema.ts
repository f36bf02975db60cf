import { z } from 'zod';
import { FIELD_TYPES } from '../../widget/schema';
import { FIELD_DEFINITIONS, fieldModule } from '../domain/fields';
import { dependencyIssues } from '../domain/fields/dependencies';
import { blockIssues, BlockSchema, type Block } from '../blocks';
import { TriggerSchema } from '../triggers';
import { SQL_INTEGER_MAX } from '../store/db';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1 to 64 letters, digits, "_" or "-"');
const Name = z.string().min(1, 'must not be empty');

// What starts a workflow: one module per trigger type (server/triggers/).
export { TriggerSchema, type Trigger } from '../triggers';

// One step of a workflow: a connector action, or a logic block (filter, branch, forEach,
// transform), each kind declared by its module (server/blocks/).
export { BlockSchema };

const fieldTypes = FIELD_TYPES.map((t) => `"${t}"`).join(', ');

/**
 * A setting the end user fills in when installing a workflow: one member per field type, each
 * declared by its module (server/domain/fields/). Types with choices take exactly one of `options`
 * and `optionsSource`; the others take neither.
 */
export const FieldSchema = z.discriminatedUnion('type', FIELD_DEFINITIONS, { error: `expected field type ${fieldTypes}` }).superRefine((field, ctx) => {
  const choice = fieldModule(field.type).choices === 'one';
  const given = (field.options ? 1 : 0) + (field.optionsSource ? 1 : 0);
  if (choice && given !== 1) {
    const message = `a ${field.type} field needs exactly one of "options" or "optionsSource"`;
    ctx.addIssue({ code: 'custom', path: ['options'], message });
  }
  if (!choice && given > 0) {
    const key = field.options ? 'options' : 'optionsSource';
    ctx.addIssue({ code: 'custom', path: [key], message: `a ${field.type} field takes no "${key}"` });
  }
});

// Reports every repeat of `key` among items, at the repeat's own path.
function unique<T>(items: T[], key: (item: T) => string, list: string, prop: string, ctx: z.RefinementCtx) {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const value = key(item);
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [list, i, prop], message: `duplicate ${prop} "${value}"` });
    seen.add(value);
  });
}

/** A workflow: one trigger, the blocks it runs, and the fields the end user configures. */
export const WorkflowSchema = z
  .strictObject({
    id: Id,
    name: Name,
    description: z.string().optional(),
    version: z.int().positive().max(SQL_INTEGER_MAX, `must be at most ${SQL_INTEGER_MAX}`),
    trigger: TriggerSchema,
    blocks: z.array(BlockSchema).min(1, 'a workflow needs at least one block'),
    fields: z.array(FieldSchema).default([]),
  })
  .superRefine((workflow, ctx) => {
    for (const issue of blockIssues(workflow.blocks)) ctx.addIssue({ code: 'custom', ...issue });
    unique(workflow.fields, (f) => f.name, 'fields', 'name', ctx);
    for (const issue of dependencyIssues(workflow.fields)) ctx.addIssue({ code: 'custom', ...issue });
  });

/** One definition file: an integration with one app and its workflows. */
export const IntegrationSchema = z.strictObject({
  id: Id,
  app: Name,
  connector: Name,
  description: z.string().optional(),
  icon: z.string().refine((s) => s.startsWith('/') || /^https?:\/\//.test(s), 'expected an absolute path such as "/icons/app.svg" or an http(s) URL'),
  workflows: z.array(WorkflowSchema).min(1, 'an integration needs at least one workflow'),
});

export type IntegrationDefinition = z.output<typeof IntegrationSchema>;
export type WorkflowDefinition = z.output<typeof WorkflowSchema>;
export type { Block };
export type Field = z.output<typeof FieldSchema>;

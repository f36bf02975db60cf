import type { FieldType } from '../../../widget/schema';
import { fieldModule } from './index';

/** What the dependency checks read of a field. */
interface DependentField {
  name: string;
  type: FieldType;
  optionsSource?: { dependsOn?: string[] };
}

/** A problem with a workflow's `dependsOn`, at its path under the workflow (`fields.1.optionsSource.dependsOn.0`). */
export interface DependencyIssue {
  path: (string | number)[];
  message: string;
}

const parentsOf = (field: DependentField) => field.optionsSource?.dependsOn ?? [];

/**
 * What is wrong with the dependencies between a workflow's fields: each name in `dependsOn` must
 * be another field of the workflow, listed once, of a type whose value can be sent as a parameter
 * (not a secret, a multiselect…), and following them must never lead back to where it started.
 */
export function dependencyIssues(fields: readonly DependentField[]): DependencyIssue[] {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const issues: DependencyIssue[] = [];
  fields.forEach((field, i) => {
    const seen = new Set<string>();
    parentsOf(field).forEach((name, j) => {
      const path = ['fields', i, 'optionsSource', 'dependsOn', j];
      const parent = byName.get(name);
      if (name === field.name) issues.push({ path, message: `field "${name}" cannot depend on itself` });
      else if (!parent) issues.push({ path, message: `no field "${name}" in this workflow (its fields are ${[...byName.keys()].join(', ')})` });
      else if (seen.has(name)) issues.push({ path, message: `"${name}" is listed twice` });
      else if (!fieldModule(parent.type).asParam) issues.push({ path, message: `"${name}" is a ${parent.type} field, whose value cannot be sent to load options` });
      seen.add(name);
    });
  });
  if (issues.length > 0) return issues;
  const cycle = findCycle(fields);
  return cycle ? [cycle] : [];
}

// Depth-first from each field along dependsOn; reaching a field still on the stack closes a cycle.
function findCycle(fields: readonly DependentField[]): DependencyIssue | undefined {
  const index = new Map(fields.map((f, i) => [f.name, i]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): DependencyIssue | undefined => {
    state.set(name, 'visiting');
    stack.push(name);
    const i = index.get(name)!;
    for (const [j, parent] of parentsOf(fields[i]!).entries()) {
      if (state.get(parent) === 'visiting') {
        const loop = [...stack.slice(stack.indexOf(parent)), parent].join(' → ');
        return { path: ['fields', i, 'optionsSource', 'dependsOn', j], message: `dependsOn makes a cycle: ${loop}` };
      }
      if (!state.has(parent)) {
        const found = visit(parent);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const f of fields) {
    if (state.has(f.name)) continue;
    const found = visit(f.name);
    if (found) return found;
  }
  return undefined;
}

/** The fields with every field after those it depends on (the definitions hold them acyclic). */
export function inDependencyOrder<F extends DependentField>(fields: readonly F[]): F[] {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const ordered: F[] = [];
  const placed = new Set<string>();
  const place = (field: F) => {
    if (placed.has(field.name)) return;
    placed.add(field.name);
    for (const parent of parentsOf(field)) {
      const found = byName.get(parent);
      if (found) place(found);
    }
    ordered.push(field);
  };
  fields.forEach(place);
  return ordered;
}

import type { Definitions } from '../definitions/load';
import { ApiError } from '../errors';

/**
 * The workflow a request names by `workflowId` or, as Alloy allows, by `workflowName` (the id
 * wins when both are given; a workflowName that no workflow has, but a workflow's id, names that
 * one). A name that several workflows share is refused: running or deactivating the wrong one
 * silently would be worse than asking for the id.
 */
export function findWorkflowByRef(definitions: Definitions, ref: { workflowId?: string; workflowName?: string }) {
  if (ref.workflowId !== undefined) {
    const found = definitions.workflow(ref.workflowId);
    if (!found) throw new ApiError(404, 'not_found', `No workflow "${ref.workflowId}"`);
    return found;
  }
  const name = ref.workflowName ?? '';
  const matches = definitions.integrations.flatMap((integration) => integration.workflows.filter((w) => w.name === name).map((workflow) => ({ integration, workflow })));
  // The vendor's Node SDK (alloy-node) sends any workflow reference that is not a MongoDB ObjectId
  // as workflowName, so `alloy.run("slack-ticket-created")` names our workflow by its id there.
  const byId = matches.length === 0 ? definitions.workflow(name) : undefined;
  if (byId) return byId;
  if (matches.length === 0) throw new ApiError(404, 'not_found', `No workflow named "${name}"`, [{ path: 'workflowName', message: 'no workflow has this name' }]);
  if (matches.length > 1) {
    throw new ApiError(400, 'invalid_request', `Several workflows are named "${name}" (${matches.map((m) => m.workflow.id).join(', ')}): send workflowId`, [
      { path: 'workflowName', message: 'names several workflows' },
    ]);
  }
  return matches[0]!;
}

import type { Definitions } from '../definitions/load';
import { ApiError } from '../errors';

/**
 * The workflow a request names by `workflowId` or, as Alloy allows, by `workflowName` (the id
 * wins when both are given). A name that several workflows share is refused: running or
 * deactivating the wrong one silently would be worse than asking for the id.
 */
export function findWorkflowByRef(definitions: Definitions, ref: { workflowId?: string; workflowName?: string }) {
  if (ref.workflowId !== undefined) {
    const found = definitions.workflow(ref.workflowId);
    if (!found) throw new ApiError(404, 'not_found', `No workflow "${ref.workflowId}"`);
    return found;
  }
  const name = ref.workflowName ?? '';
  const matches = definitions.integrations.flatMap((integration) =>
    integration.workflows.filter((w) => w.name === name).map((workflow) => ({ integration, workflow })),
  );
  if (matches.length === 0) throw new ApiError(404, 'not_found', `No workflow named "${name}"`, [{ path: 'workflowName', message: 'no workflow has this name' }]);
  if (matches.length > 1) {
    throw new ApiError(400, 'invalid_request', `Several workflows are named "${name}" (${matches.map((m) => m.workflow.id).join(', ')}): send workflowId`, [
      { path: 'workflowName', message: 'names several workflows' },
    ]);
  }
  return matches[0]!;
}

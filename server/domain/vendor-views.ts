import type { z } from 'zod';
import { findConnector } from '../connectors';
import type { IntegrationDefinition } from '../definitions/schema';
import type { Credential } from '../store/credentials';
import type { ExecutionLog } from '../store/logs';
import type { ApiVersion } from '../middleware/api-version';
import type { BlockView, ConnectorView, ExecutionLogView, IsvIntegrationView } from '../schemas';
import type { integrationView } from './views';

type Block = z.input<typeof BlockView>;

/** A block as 2025-09 lists it in an integration's workflows. */
export const connectorOf = (b: Block): z.input<typeof ConnectorView> => ({ name: b.name, id: b.id, connector: b.type, icon: b.icon, subtitle: b.name });

/** A block as 2025-09's `GET /workflows/{id}` names it. */
export const workflowConnectorOf = (b: Block) => ({ connectorName: b.name, connectorId: b.id, connector: b.type, icon: b.icon });

/** The display name of the app an integration is for (2025-09's `primaryConnector`). */
export const primaryConnectorOf = (integration: IntegrationDefinition) => findConnector(integration.connector)?.name ?? integration.connector;

/** An integration as the ISV lists it: the widget's view plus 2025-09's keys. */
export function isvIntegrationView(
  integration: IntegrationDefinition,
  view: ReturnType<typeof integrationView>,
  credentials: readonly Pick<Credential, 'credentialId' | 'app'>[],
): z.input<typeof IsvIntegrationView> {
  return {
    ...view,
    description: view.description ?? '',
    primaryConnector: primaryConnectorOf(integration),
    credentials: credentials.filter((c) => c.app === findConnector(integration.connector)?.id).map((c) => c.credentialId),
    workflows: view.workflows.map((w) => ({ ...w, connectors: w.blocks.map(connectorOf) })),
  };
}

/**
 * An execution as the logs API shows it: ours (`status`, `steps`…) with the vendor's keys beside.
 * Where the versions give a key another type or value, each gets its own: `results[].data` is a
 * list of items before 2025-09 and a list of lists of items from then (the n8n run data Alloy
 * shows), and a succeeded run's `status` is "success" before 2025-09 (which has no `status`).
 * `finished` is n8n's: true once the run succeeded.
 */
export function executionLogView(log: ExecutionLog, version: ApiVersion): z.input<typeof ExecutionLogView> {
  const legacy = version !== '2025-09';
  const item = (output: unknown) => ({ json: output ?? null });
  return {
    ...log,
    status: legacy && log.status === 'succeeded' ? 'success' : log.status,
    stoppedAt: log.finishedAt,
    finished: log.status === 'succeeded',
    results: log.steps.map((s) => ({
      blockId: s.blockId,
      connectorId: s.blockId,
      startedAt: s.startedAt,
      stoppedAt: s.finishedAt,
      data: s.error !== null ? [] : legacy ? [item(s.output)] : [[item(s.output)]],
      error: s.error,
    })),
    inputs: log.steps.map((s) => ({ connectorId: s.blockId, data: s.input ?? {} })),
  };
}

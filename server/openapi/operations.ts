import type { ErrorStatus } from '../api';

/** What the OpenAPI document says of one operation beyond its route declaration. */
export interface OperationFacts {
  /**
   * The vendor's own operationId, which is also the slug of its reference page
   * (docs.runalloy.com/reference/embedded/<id>), or a camelCase one of ours where Alloy has none.
   */
  operationId: string;
  /** Whether `operationId` is Alloy's (the description then links its reference page). */
  vendor?: true;
  /** Statuses the route answers beyond those derived from its declaration (server/openapi/errors.ts). */
  errors?: ErrorStatus[];
  /** The route answers from the definitions alone: no store query, so no 503. */
  noStore?: true;
  /** Reads `Idempotency-Key` and answers `Idempotent-Replayed` on a repeat (server/routes/idempotency.ts). */
  idempotent?: true;
  /** A second path of another operation (`METHOD /path`): its summary says so, so the two read apart. */
  aliasOf?: string;
  /** A request body as the reference page shows it (the linters check it against the schema). */
  example?: unknown;
}

const vendor = (operationId: string, more: Omit<OperationFacts, 'operationId' | 'vendor'> = {}): OperationFacts => ({ operationId, vendor: true, ...more });

/**
 * Per-operation facts that cannot be derived from the route declarations, keyed `METHOD /path` in
 * OpenAPI form. Alloy's ids are its reference pages' slugs, typo included (`credential-medata-by-app`);
 * aliases (a second path for the same operation) get an id of ours. A route missing here still gets
 * an id made from its method and path (`operationIdFromPath`), so a new route never breaks the document.
 */
export const OPERATIONS: Record<string, OperationFacts> = {
  'POST /users': vendor('create-a-user', { errors: [409], example: { username: 'ada@acme.test', fullName: 'Ada Lovelace' } }),
  'POST /users/': { operationId: 'createUserTrailingSlash', errors: [409] },
  'GET /users': vendor('list-all-users'),
  'POST /users/batch': vendor('batch-create-users'),
  'GET /users/{userId}': vendor('get-a-user'),
  'PUT /users/{userId}': vendor('update-a-user', { errors: [409] }),
  'DELETE /users/{userId}': vendor('delete-a-user'),
  'GET /users/{userId}/token': vendor('generate-jwt-token'),
  'GET /user/{userId}/token': { operationId: 'generateJwtTokenSingularPath', aliasOf: 'GET /users/{userId}/token' },
  'PUT /users/{userId}/deactivate-workflows': vendor('disable-all-workflows-for-a-user'),
  'DELETE /users/{userId}/logs': vendor('delete-logs-for-a-user'),
  'GET /users/{userId}/integrations/{integrationId}/install-url': { operationId: 'createInstallUrl' },

  'GET /integrations': vendor('list-integrations'),
  'GET /integrations/{integrationId}': vendor('get-an-integration'),
  'GET /events': vendor('list-events', { noStore: true }),

  'POST /headless/startInstallation': vendor('start-installation', { example: { userId: 'ada@acme.test', integrationId: 'slack' } }),
  'POST /headless/completeInstallation': vendor('complete-installation'),
  'POST /headless/editInstallation': vendor('edit-installation'),
  'GET /installations': vendor('get-all-installations'),

  'GET /apps': { operationId: 'listApps', noStore: true },
  'GET /metadata/apps': { operationId: 'listAppsMetadata', noStore: true, aliasOf: 'GET /apps' },
  'GET /metadata/credentials': vendor('get-credential-metadata', { noStore: true }),
  'GET /metadata/credentials/{app}': vendor('credential-medata-by-app', { noStore: true }),
  'POST /headless/credentials': vendor('create-a-credential', { errors: [409], example: { userId: 'ada@acme.test', credential: { type: 'slack', data: { botToken: 'xoxb-…' } } } }),
  'GET /headless/oauthUrl': vendor('generate-oauth-link'),
  'GET /credentials/users/{userId}': vendor('list-user-credentials'),
  // alloy-node's paths: the credential metadata and the OAuth link, each with the app in the path.
  'GET /credentials/{app}': { operationId: 'getCredentialMetadataSdkPath', noStore: true },
  'GET /users/{userId}/credentials/{credentialName}': { operationId: 'generateOAuthLinkSdkPath' },
  'DELETE /users/{userId}/credentials/{credentialId}': vendor('delete-a-credential'),

  'POST /run/event': vendor('run-event', {
    errors: [409],
    idempotent: true,
    example: { event: 'Ticket Created', userId: 'ada@acme.test', data: { ticketName: 'Printer on fire', customerEmail: 'ann@acme.test' } },
  }),
  'POST /run/workflow': vendor('run-workflow', {
    errors: [409],
    idempotent: true,
    example: { workflowId: 'slack-ticket-created', userId: 'ada@acme.test', data: { ticketName: 'Printer on fire' } },
  }),

  'GET /workflows': { operationId: 'listWorkflows' },
  'PUT /workflows/activate': vendor('activate-a-workflow', { example: { userId: 'ada@acme.test', workflowId: 'slack-ticket-created' } }),
  'PUT /workflows/deactivate': vendor('deactivate-a-workflow'),
  'GET /workflows/{workflowId}': vendor('find-a-workflow'),
  'DELETE /workflows/{workflowId}': vendor('delete-workflow'),
  'GET /workflows/{workflowId}/versions': { operationId: 'listWorkflowVersions' },
  'GET /workflows/{workflowId}/users': vendor('list-users-by-workflowid'),
  'GET /workflows/{workflowId}/analytics': vendor('get-workflow-analytics'),
  'PUT /workflows/{workflowId}/upgrade': vendor('upgrade-workflow', { errors: [409] }),
  'GET /workflows/{workflowId}/logs': vendor('get-workflow-logs'),
  'GET /workflow/{workflowId}/logs': { operationId: 'getWorkflowLogsSingularPath', aliasOf: 'GET /workflows/{workflowId}/logs' },
  'GET /workflows/{workflowId}/errors': vendor('get-workflow-errors'),
  'GET /logs': vendor('get-logs'),
  'POST /workflows/{workflowId}/rerun/{executionId}': { operationId: 'rerunExecution', errors: [409] },
  'GET /users/{userId}/options/{connector}/{source}': { operationId: 'listFieldOptions', errors: [502] },

  'GET /me/integrations': { operationId: 'listMyIntegrations' },
  'GET /me/integrations/{integrationId}': { operationId: 'getMyIntegration' },
  'POST /me/credentials': { operationId: 'createMyCredential', errors: [409] },
  'DELETE /me/credentials/{credentialId}': { operationId: 'deleteMyCredential', errors: [409] },
  'GET /me/installations': { operationId: 'listMyInstallations' },
  'POST /me/installations': { operationId: 'createMyInstallation' },
  'PUT /me/installations/{installationId}': { operationId: 'updateMyInstallation' },
  'DELETE /me/installations/{installationId}': { operationId: 'deleteMyInstallation' },
  'PUT /me/installations/{installationId}/upgrade': { operationId: 'upgradeMyInstallation', errors: [409] },
  'PUT /me/installations/{installationId}/activate': { operationId: 'activateMyInstallation' },
  'PUT /me/installations/{installationId}/deactivate': { operationId: 'deactivateMyInstallation' },
  'POST /me/installations/{installationId}/signing-secrets/{blockId}/rotate': { operationId: 'rotateMySigningSecret' },
  'POST /me/events/{event}': { operationId: 'sendMyAppEvent', errors: [403, 409], idempotent: true },
  'POST /plugins/appmixer/utils/appevents/events/{event}': { operationId: 'sendAppmixerAppEvent', errors: [403, 409], idempotent: true, aliasOf: 'POST /me/events/{event}' },
  'GET /me/options/{connector}/{source}': { operationId: 'listMyFieldOptions', errors: [502] },
  'POST /me/oauth/{app}/start': { operationId: 'startMyOAuth', errors: [409] },

  'GET /.well-known/jwks.json': { operationId: 'getJwks', noStore: true },
  'GET /health': { operationId: 'getHealth' },
  'GET /health/live': { operationId: 'getLiveness', noStore: true },
  'GET /health/ready': { operationId: 'getReadiness' },
};

/** An id for a route missing from OPERATIONS: `GET /credentials/{credentialName}` → `getCredentialsByCredentialName`. */
export function operationIdFromPath(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith('{') ? `by-${part.slice(1, -1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

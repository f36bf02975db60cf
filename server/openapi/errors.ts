import type { ErrorStatus, RouteDoc } from '../api';
import type { OperationFacts } from './operations';

/** `{ error: { code, message, details? }, message }`, the one error shape (server/errors.ts). */
export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    message: { type: 'string', description: 'The same words as `error.message`, where Alloy\'s own errors put them (`{ "message": "Unauthorized" }`).' },
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          description:
            'Machine-readable; switch on it. One of invalid_request, invalid_json, unsupported_media_type, payload_too_large, unauthorized, forbidden, ' +
            'not_found, method_not_allowed, unknown_event, conflict, upgrade_blocked, rate_limited, unavailable, upstream_error, credential_refused, internal.',
        },
        message: { type: 'string', description: 'For people: says what was wrong and, where it can, how to put it right.' },
        details: {
          type: 'array',
          description: 'One entry per bad field, with its dotted path (`data.customer.email`).',
          items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
} as const;

interface ErrorResponse {
  name: string;
  description: string;
  example: { code: string; message: string; details?: Array<{ path: string; message: string }> };
  retryAfter?: true;
}

/** Each status as a reusable response: its meaning here and an example body. */
const RESPONSES: Record<ErrorStatus, ErrorResponse> = {
  400: {
    name: 'BadRequest',
    description:
      'Invalid request: a bad field of the body, query or path (each named in `details`), broken JSON (`invalid_json`), or an unknown API version. ' +
      'Where an account is connected, also an account the app refused when it was checked (`credential_refused`, the app’s reason in the message: "Slack says: invalid_auth"); nothing was stored.',
    example: { code: 'invalid_request', message: 'Invalid request: userId: Required', details: [{ path: 'userId', message: 'Required' }] },
  },
  401: {
    name: 'Unauthorized',
    description: 'No credential, or one that is not valid here (a user token where the API key is needed, an expired token).',
    example: { code: 'unauthorized', message: 'Send your API key as "Authorization: bearer YOUR_API_KEY"' },
  },
  403: {
    name: 'Forbidden',
    description: 'The credential is valid but may not do this (a user token naming another user, a browser sending an ISV-only event).',
    example: { code: 'forbidden', message: 'A user token acts for its own user only: "u_2" is not the user of this token' },
  },
  404: {
    name: 'NotFound',
    description: 'The user, workflow, integration, installation, credential, app or event named does not exist (`not_found`, or `unknown_event`).',
    example: { code: 'not_found', message: 'No user with id or username "u_404"' },
  },
  409: {
    name: 'Conflict',
    description:
      'The request conflicts with the current state: a username taken, an idempotency key reused with other data, a deactivated workflow, an upgrade that changes the fields (`upgrade_blocked`).',
    example: { code: 'conflict', message: 'The username "ada" is taken', details: [{ path: 'username', message: 'already taken' }] },
  },
  413: {
    name: 'PayloadTooLarge',
    description: 'The body is over the server’s limit (BODY_LIMIT_BYTES).',
    example: { code: 'payload_too_large', message: 'The request body is over the limit of 1048576 bytes' },
  },
  415: {
    name: 'UnsupportedMediaType',
    description: 'The body is not sent as application/json.',
    example: { code: 'unsupported_media_type', message: 'Send the body as application/json (got text/plain)' },
  },
  429: {
    name: 'TooManyRequests',
    description: 'Over the rate limit of this API key or user; `Retry-After` says when to try again.',
    example: { code: 'rate_limited', message: 'Too many requests for this API key (limit: 50 requests per second, bursts of 100, per server process); retry after 1 s' },
    retryAfter: true,
  },
  500: {
    name: 'InternalError',
    description: 'A bug: logged with the request id the message gives.',
    example: { code: 'internal', message: 'Internal error (request id 1b4e28ba-2fa1-11d2-883f-0016d3cca427)' },
  },
  502: {
    name: 'BadGateway',
    description: 'The app the options are loaded from failed or could not be reached.',
    example: { code: 'upstream_error', message: 'Could not load the options from Slack: 401 invalid_auth' },
  },
  503: {
    name: 'ServiceUnavailable',
    description:
      'The store is unavailable (PostgreSQL down, SQLite locked or its disk full), or, where an account is connected, the app could not be reached to check it ' +
      '(nothing was stored); `Retry-After` says when to try again.',
    example: { code: 'unavailable', message: 'The store is unavailable; try again shortly' },
    retryAfter: true,
  },
};

/** Body fields and required query parameters that name something which must exist: a 404 when it does not. */
const NAMES_A_RESOURCE = /^(userId|workflowId|workflowName|integrationId|installationId|credentialId|credentialIds|credentialName|app|event|executionId)$/;

type JsonObjectSchema = { properties?: Record<string, unknown>; required?: string[] };

/**
 * Every error status an operation can answer, from what its declaration says it takes:
 * 400 always (an unknown x-api-version, besides a bad body, query or path); 401 and 429 for a credential
 * (auth runs before the rate limit); 404 for a path parameter or a field naming a resource;
 * 413 and 415 for a body; 503 for anything that reads the store (a user token is checked against
 * it); 500 always; 403 where a user token may name a user. Other 403s, 409 and 502 depend on what
 * the handler does and come from `facts`.
 */
export function errorStatuses(
  doc: RouteDoc,
  facts: OperationFacts | undefined,
  body: JsonObjectSchema | undefined,
  query: JsonObjectSchema | undefined,
  takesUserToken = false,
): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>([500]);
  // alloy-frontend's user token acts for its own user only: naming another is a 403.
  if (takesUserToken) statuses.add(403);
  const hasParams = doc.path.includes(':');
  // Every route reads x-api-version (middleware/api-version.ts): an unknown version is a 400 anywhere.
  statuses.add(400);
  if (doc.auth !== 'none') statuses.add(401).add(429);
  const namesResource = hasParams || Object.keys(body?.properties ?? {}).some((k) => NAMES_A_RESOURCE.test(k)) || (query?.required ?? []).some((k) => NAMES_A_RESOURCE.test(k));
  if (namesResource) statuses.add(404);
  if (doc.body) statuses.add(413).add(415);
  if (!facts?.noStore || doc.auth === 'userToken') statuses.add(503);
  for (const status of [...(facts?.errors ?? []), ...(doc.errors ?? [])]) statuses.add(status);
  return [...statuses].sort((a, b) => a - b);
}

/** `components.responses` and `components.headers` for the statuses used, and a `$ref` per status. */
export function errorComponents(used: ReadonlySet<ErrorStatus>) {
  const responses: Record<string, unknown> = {};
  for (const status of [...used].sort((a, b) => a - b)) {
    const r = RESPONSES[status];
    responses[r.name] = {
      description: r.description,
      ...(r.retryAfter ? { headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } } : {}),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { error: r.example, message: r.example.message } } },
    };
  }
  return responses;
}

export const errorResponseRef = (status: ErrorStatus) => ({ $ref: `#/components/responses/${RESPONSES[status].name}` });

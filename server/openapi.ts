import { z } from 'zod';
import type { ErrorStatus, RouteDoc } from './api';
import { BROWSER_SDK_OPERATIONS, USER_TOKEN_HEADER } from './middleware/browser-sdk';
import { API_VERSIONS, LATEST_API_VERSION } from './middleware/api-version';
import { errorComponents, errorResponseRef, errorSchema, errorStatuses } from './openapi/errors';
import { OPERATIONS, operationIdFromPath } from './openapi/operations';
import { listedRoutes } from './openapi/paths';
import { TAGS, tagsOf } from './openapi/tags';

// Inlined (no $defs): each operation's schema stands alone, as OpenAPI 3.1 embeds JSON Schema 2020-12.
function jsonSchema(schema: z.ZodType, io: 'input' | 'output') {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12', reused: 'inline' });
  return rest as { properties?: Record<string, unknown>; required?: string[] };
}

const browserSdk = new Set<string>(BROWSER_SDK_OPERATIONS.map((o) => `${o.method} ${o.path}`));

/** The id of each operation: the route's own, the table's, or one made from its path; never one taken already. */
function uniqueOperationId(taken: Set<string>, wanted: string): string {
  let id = wanted;
  for (let n = 2; taken.has(id); n++) id = `${wanted}${n}`;
  taken.add(id);
  return id;
}

/** What an operation's description adds to its summary: where Alloy documents it, or that it is ours, and its other paths. */
function descriptionOf(doc: RouteDoc, operationId: string, vendor: boolean, aliases: string[]): string {
  const origin = vendor
    ? `Alloy Embedded's operation [${operationId}](https://docs.runalloy.com/reference/embedded/${operationId}).`
    : 'An operation of this server (not in Alloy’s reference).';
  const also = aliases.length ? `Also answered at ${aliases.map((a) => `\`${doc.method.toUpperCase()} ${a}\``).join(', ')}, as Alloy's reference writes it.` : '';
  return [doc.description, origin, also].filter(Boolean).join('\n\n');
}

/**
 * The OpenAPI 3.1 document, generated from the route docs (the same zod schemas the routes
 * validate with) and, for what a declaration cannot say (Alloy's operationIds, a 409 a handler
 * throws), server/openapi/operations.ts.
 */
export function openApiDocument(docs: readonly RouteDoc[], serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();
  const usedStatuses = new Set<ErrorStatus>();
  const usedTags = new Set<string>();
  let idempotencyUsed = false;
  for (const { doc, path, renamed, aliases } of listedRoutes(docs)) {
    // Facts are keyed by the route's own path, parameter names included (the template may be another route's).
    const ownPath = doc.path.replace(/:(\w+)/g, '{$1}');
    const key = `${doc.method.toUpperCase()} ${ownPath}`;
    const facts = OPERATIONS[key];
    const operationId = uniqueOperationId(operationIds, doc.operationId ?? facts?.operationId ?? operationIdFromPath(doc.method, ownPath));
    const body = doc.body ? jsonSchema(doc.body, 'input') : undefined;
    const query = doc.query ? jsonSchema(doc.query, 'input') : undefined;

    const params: unknown[] = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      ...(renamed.has(m[1]!) ? { description: `The ${renamed.get(m[1]!)}.` } : {}),
      schema: { type: 'string' },
    }));
    for (const [name, schema] of Object.entries(query?.properties ?? {})) {
      params.push({ name, in: 'query', required: query?.required?.includes(name) ?? false, schema });
    }
    params.push({ $ref: '#/components/parameters/ApiVersion' });
    const idempotent = facts?.idempotent === true || doc.headers?.includes('Idempotency-Key') === true;
    if (idempotent) {
      params.push({ $ref: '#/components/parameters/IdempotencyKey' });
      idempotencyUsed = true;
    }

    const statuses = errorStatuses(doc, facts, body, query, browserSdk.has(key));
    const responses: Record<string, unknown> = {
      [String(doc.status ?? 200)]: {
        description: doc.summary,
        ...(idempotent ? { headers: { 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } } } : {}),
        ...(doc.response ? { content: { 'application/json': { schema: jsonSchema(doc.response, 'output') } } } : {}),
      },
    };
    for (const status of statuses) {
      usedStatuses.add(status);
      responses[String(status)] = errorResponseRef(status);
    }

    const tags = tagsOf(doc);
    tags.forEach((t) => usedTags.add(t));
    const security = doc.auth === 'apiKey' ? [{ apiKey: [] }, ...(browserSdk.has(key) ? [{ browserUserToken: [] }] : [])] : doc.auth === 'userToken' ? [{ userToken: [] }] : [];
    paths[path] ??= {};
    paths[path][doc.method] = {
      operationId,
      summary: facts?.aliasOf ? `${doc.summary} (same as ${facts.aliasOf})` : doc.summary,
      description: descriptionOf(doc, operationId, facts?.vendor === true && !doc.operationId, aliases),
      tags,
      security,
      parameters: params,
      ...(body && doc.body
        ? {
            requestBody: {
              required: !doc.body.safeParse(undefined).success,
              content: { 'application/json': { schema: body, ...(facts?.example ? { example: facts.example } : {}) } },
            },
          }
        : {}),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Alloy Embedded Kit API',
      version: '1',
      summary: 'A self-hosted, API-compatible Alloy Embedded: users, integrations, headless installation, credentials, events and workflows.',
      description:
        'ISV endpoints take the API key; end-user endpoints (the widget’s, under `/me`) take a user token. ' +
        `Every path is also served under an API version prefix (\`/${API_VERSIONS.join('`, `/')}\`), or the version is chosen with the \`x-api-version\` header; ` +
        `the default is ${LATEST_API_VERSION}. Errors always answer \`{ "error": { "code", "message", "details"? } }\`.`,
      contact: { name: 'The operator of this server', url: serverUrl },
      license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
    },
    servers: [
      { url: serverUrl, description: `This server (version ${LATEST_API_VERSION}, or the one x-api-version names)` },
      {
        url: `${serverUrl}/{apiVersion}`,
        description: 'This server, with the API version in the path as Alloy’s older guides write it',
        variables: { apiVersion: { enum: [...API_VERSIONS], default: LATEST_API_VERSION } },
      },
    ],
    tags: TAGS.filter((t) => usedTags.has(t.name)).concat(
      [...usedTags].filter((name) => !TAGS.some((t) => t.name === name)).map((name) => ({ name, description: `Operations tagged ${name}.` })),
    ),
    paths,
    components: {
      schemas: { Error: errorSchema },
      responses: errorComponents(usedStatuses),
      parameters: {
        ApiVersion: {
          name: 'x-api-version',
          in: 'header',
          required: false,
          description: 'The API version to answer in, where versions differ. A path prefix such as `/2024-03` wins over it.',
          schema: { type: 'string', enum: [...API_VERSIONS], default: LATEST_API_VERSION },
        },
        ...(idempotencyUsed
          ? {
              IdempotencyKey: {
                name: 'Idempotency-Key',
                in: 'header',
                required: false,
                description: 'Makes a repeat of this request (same key) return the first answer and run nothing twice.',
                schema: { type: 'string', minLength: 1, maxLength: 255 },
                example: 'order-1001-paid',
              },
            }
          : {}),
      },
      headers: {
        RetryAfter: { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 1 }, example: 5 },
        ...(idempotencyUsed
          ? {
              IdempotentReplayed: {
                description: 'Present (`true`) when this answer repeats the first one for the same Idempotency-Key.',
                schema: { type: 'string', enum: ['true'] },
              },
            }
          : {}),
      },
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'The ISV API key (ALLOY_API_KEY): `Authorization: bearer YOUR_API_KEY`.' },
        userToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A user token from GET /users/{userId}/token.' },
        browserUserToken: {
          type: 'apiKey',
          in: 'header',
          name: USER_TOKEN_HEADER,
          description: 'A user token as the vendor’s browser SDK (alloy-frontend) sends it, on the four ISV operations it calls; it acts for its own user only.',
        },
      },
    },
  };
}

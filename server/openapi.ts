import { z } from 'zod';
import type { RouteDoc } from './api';

const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

// Inlined (no $defs): each operation's schema stands alone, as OpenAPI 3.1 embeds JSON Schema 2020-12.
function jsonSchema(schema: z.ZodType, io: 'input' | 'output') {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12', reused: 'inline' });
  return rest;
}

/** The OpenAPI 3.1 document, generated from the route docs (the same zod schemas the routes validate with). */
export function openApiDocument(docs: readonly RouteDoc[], serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const doc of docs) {
    const path = doc.path.replace(/:(\w+)/g, '{$1}');
    const params = [...doc.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (doc.query) {
      const q = jsonSchema(doc.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        params.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema: schema as { type: string } });
      }
    }
    const status = String(doc.status ?? 200);
    paths[path] ??= {};
    paths[path][doc.method] = {
      summary: doc.summary,
      description: doc.description,
      tags: doc.tags,
      security: doc.auth === 'apiKey' ? [{ apiKey: [] }] : doc.auth === 'userToken' ? [{ userToken: [] }] : [],
      parameters: params.length ? params : undefined,
      requestBody: doc.body ? { required: !doc.body.safeParse(undefined).success, content: { 'application/json': { schema: jsonSchema(doc.body, 'input') } } } : undefined,
      responses: {
        [status]: { description: 'OK', content: doc.response ? { 'application/json': { schema: jsonSchema(doc.response, 'output') } } : undefined },
        default: { description: 'Error', content: { 'application/json': { schema: jsonSchema(ErrorSchema, 'output') } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Alloy Embedded Kit API',
      version: '1',
      description: 'ISV endpoints take the API key; end-user endpoints take the user token. Every ISV path is also served under an API version prefix such as /2023-12.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'The ISV API key (ALLOY_API_KEY).' },
        userToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A user token from GET /users/{userId}/token.' },
      },
    },
    paths,
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A readable reference page: every endpoint with its auth, body and response schemas. */
export function referencePage(docs: readonly RouteDoc[]): string {
  const sections = docs
    .map((d) => {
      const schema = (label: string, s: z.ZodType | undefined, io: 'input' | 'output') =>
        s ? `<details><summary>${label}</summary><pre>${escapeHtml(JSON.stringify(jsonSchema(s, io), null, 2))}</pre></details>` : '';
      return `<section><h3><span class="m ${d.method}">${d.method.toUpperCase()}</span> <code>${escapeHtml(d.path)}</code></h3>
<p>${escapeHtml(d.summary)}${d.description ? ` — ${escapeHtml(d.description)}` : ''}</p><p class="auth">Auth: ${d.auth === 'apiKey' ? 'API key' : d.auth === 'userToken' ? 'user token' : 'none'}</p>
${schema('Query', d.query, 'input')}${schema('Body', d.body, 'input')}${schema('Response', d.response, 'output')}</section>`;
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>API reference</title><style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1f2937}
section{border-top:1px solid #e5e7eb;padding:.5rem 0}h3{font-size:1rem;margin:.5rem 0}.m{display:inline-block;min-width:4.5em;font-size:.8rem;padding:2px 6px;border-radius:4px;color:#fff;background:#2563eb}
.m.post{background:#059669}.m.put{background:#d97706}.m.delete{background:#dc2626}pre{background:#f3f4f6;padding:.75rem;overflow:auto;font-size:12px}.auth{color:#6b7280;font-size:.85rem;margin:0}</style></head>
<body><h1>API reference</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Errors always answer <code>{"error":{"code","message","details"?}}</code>.</p>
${sections}</body></html>`;
}

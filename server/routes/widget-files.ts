import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { AppEnv } from '../api';
import { ApiError } from '../errors';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'widget');
// A Map, not an object: `__proto__`, `constructor` or `toString` must not name a file.
const files = new Map([
  ['alloy.js', 'text/javascript; charset=utf-8'],
  ['alloy.mjs', 'text/javascript; charset=utf-8'],
]);

/**
 * Serves the built widget (`npm run build`): `/widget/alloy.js` for a script tag, `/widget/alloy.mjs`
 * as an ES module. An ETag lets browsers revalidate cheaply; a new build changes it.
 */
export function widgetFileRoutes(app: Hono<AppEnv>) {
  const cache = new Map<string, { body: Buffer; etag: string; mtime: number }>();
  app.get('/widget/:file', (c) => {
    const name = c.req.param('file');
    const type = files.get(name);
    if (!type) throw new ApiError(404, 'not_found', `No widget file "${name}"`);
    const file = path.join(dist, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      throw new ApiError(404, 'not_found', 'The widget is not built: run "npm run build" (npm start does it)');
    }
    let entry = cache.get(name);
    if (!entry || entry.mtime !== stat.mtimeMs) {
      const body = fs.readFileSync(file);
      entry = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`, mtime: stat.mtimeMs };
      cache.set(name, entry);
    }
    const headers = { etag: entry.etag, 'cache-control': 'public, max-age=300, must-revalidate', 'access-control-allow-origin': '*' };
    if (c.req.header('if-none-match') === entry.etag) return c.body(null, 304, headers);
    return c.body(new Uint8Array(entry.body), 200, { ...headers, 'content-type': type });
  });
}

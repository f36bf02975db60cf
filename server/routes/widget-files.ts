import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { AppEnv } from '../api';
import { ApiError } from '../errors';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'widget');
/** The built files by extension: a name is letters, digits, dots and dashes only, so never a path. */
const FILE = /^[\w.-]+\.(js|mjs|css|json)$/;
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', json: 'application/json' };

/**
 * Serves the built widget (`npm run build`): `/widget/alloy.js` for a script tag, `/widget/alloy.mjs`
 * as an ES module, and what they load: `alloy-ui.js` (the modal and the integrations page), the
 * stylesheet and the locales. Cross-origin readable (the UI is a module a host page imports). An
 * ETag lets browsers revalidate cheaply; a new build changes it.
 */
export function widgetFileRoutes(app: Hono<AppEnv>) {
  const cache = new Map<string, { body: Buffer; etag: string; mtime: number }>();
  app.get('/widget/:file', (c) => {
    const name = c.req.param('file');
    const type = FILE.test(name) ? TYPES[name.slice(name.lastIndexOf('.') + 1)] : undefined;
    if (!type) throw new ApiError(404, 'not_found', `No widget file "${name}"`);
    const file = path.join(dist, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      if (!fs.existsSync(path.join(dist, 'alloy.js'))) throw new ApiError(404, 'not_found', 'The widget is not built: run "npm run build" (npm start does it)');
      throw new ApiError(404, 'not_found', `No widget file "${name}"`);
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

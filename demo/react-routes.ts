import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { AppEnv } from '../server/api';
import { ApiError } from '../server/errors';

/** The React demo as `npm run build` leaves it (demo/react/build.ts): index.html and hashed assets. */
const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'demo-react');
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.map': 'application/json' };

/** AcmeCo's React page at `/react`, built from demo/react (the same backend routes as `/`). */
export function reactDemoRoutes(app: Hono<AppEnv>): void {
  const page = () => {
    let html: Buffer;
    try {
      html = fs.readFileSync(path.join(dist, 'index.html'));
    } catch {
      throw new ApiError(404, 'not_found', 'The React demo is not built: run "npm run build" (npm start does it)');
    }
    return new Response(new Uint8Array(html), { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } });
  };
  app.get('/react', page);
  app.get('/react/', page);
  // Hashed names: a new build makes new names, so they are cached for good.
  app.get('/react/assets/:file', (c) => {
    const name = c.req.param('file');
    const type = TYPES[path.extname(name)];
    if (!type || !/^[\w.-]+$/.test(name)) throw new ApiError(404, 'not_found', `No React demo file "${name}"`);
    let body: Buffer;
    try {
      body = fs.readFileSync(path.join(dist, 'assets', name));
    } catch {
      throw new ApiError(404, 'not_found', `No React demo file "${name}"`);
    }
    return c.body(new Uint8Array(body), 200, { 'content-type': type, 'cache-control': 'public, max-age=31536000, immutable' });
  });
}

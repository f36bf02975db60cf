import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import type { AppEnv } from '../api';
import type { Config } from '../config';
import { ApiError } from '../errors';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'console');
/** A built asset's name: letters, digits, dots, dashes and underscores only, so never a path. */
const ASSET = /^[\w.-]+\.(js|css|svg|png|woff2)$/;
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
};
/**
 * The app's pages (console/main.tsx routes them), each listed rather than a catch-all under
 * /console: `/console/api/*` and `/console/session` stay the API's alone, so an unknown API path is
 * a JSON 404 and a wrong method a 405 naming the right ones.
 */
export const CONSOLE_PAGES = [
  '/console',
  '/console/',
  '/console/users',
  '/console/users/:userId',
  '/console/executions',
  '/console/executions/:executionId',
  '/console/errors',
  '/console/definitions',
  '/console/definitions/:workflowId/diff',
  '/console/definitions/:workflowId/versions/:version',
  '/console/deliveries',
];

/**
 * The console runs only its own files (scripts and styles from this origin, no inline code of any
 * kind: the build writes none), talks only to this server, cannot be framed, and its forms post
 * nowhere else.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = 'The console is not built: run "npm run build" (npm start does it)';

/**
 * The ISV console's page (`npm run build` writes it to dist/console): `/console` and each of the
 * app's pages get index.html, whose hashed assets (`/console/assets/*`) are cached for a year. The
 * page itself is revalidated each time, so a new build is picked up at once. `CONSOLE=off`: 404.
 */
export function consolePageRoutes(app: Hono<AppEnv>, config: Pick<Config, 'console'>) {
  const cache = new Map<string, { body: Buffer; etag: string; mtime: number }>();
  /** A built file, read again only when it changed on disk; undefined when absent. */
  const read = (name: string) => {
    const file = path.join(dist, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      return undefined;
    }
    let entry = cache.get(name);
    if (!entry || entry.mtime !== stat.mtimeMs) {
      const body = fs.readFileSync(file);
      entry = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`, mtime: stat.mtimeMs };
      cache.set(name, entry);
    }
    return entry;
  };
  const off = () => new ApiError(404, 'not_found', 'The console is turned off (CONSOLE=off)');

  app.get('/console/assets/:file', (c) => {
    if (!config.console) throw off();
    const name = c.req.param('file');
    const type = ASSET.test(name) ? TYPES[name.slice(name.lastIndexOf('.') + 1)] : undefined;
    const entry = type ? read(path.join('assets', name)) : undefined;
    if (!entry) throw new ApiError(404, 'not_found', fs.existsSync(path.join(dist, 'index.html')) ? `No console file "${name}"` : NOT_BUILT);
    // The name holds the content's hash: a new build is a new name, so this one never changes.
    return c.body(new Uint8Array(entry.body), 200, { 'content-type': type!, 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' });
  });

  const page = (c: Context<AppEnv>) => {
    if (!config.console) throw off();
    const entry = read('index.html');
    if (!entry) throw new ApiError(404, 'not_found', NOT_BUILT);
    const headers = {
      etag: entry.etag,
      'cache-control': 'no-cache',
      'content-security-policy': CSP,
      'referrer-policy': 'same-origin',
      'x-content-type-options': 'nosniff',
    };
    if (c.req.header('if-none-match') === entry.etag) return c.body(null, 304, headers);
    return c.body(new Uint8Array(entry.body), 200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
  };
  for (const path of CONSOLE_PAGES) app.get(path, page);
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';
import type { AppEnv } from '../api';
import { ApiError } from '../errors';

/** Scalar's standalone browser bundle, served from this server so the page needs no CDN. */
const bundlePath = fileURLToPath(import.meta.resolve('@scalar/api-reference/browser/standalone.js'));
const scalarVersion = (JSON.parse(fs.readFileSync(path.join(bundlePath, '../../../package.json'), 'utf8')) as { version: string }).version;

/** The bundle's URL names its version, so browsers may keep it for a year: a new version is a new URL. */
export const SCALAR_BUNDLE = `scalar-${scalarVersion}.js`;

/**
 * Scalar's settings, as a script of our own (the CSP allows no inline script). No default fonts
 * (they come from fonts.scalar.com), no telemetry, and no request proxy (without `proxyUrl` Scalar
 * may send "try it" requests through proxy.scalar.com): the page talks to this origin only.
 */
const INIT_SCRIPT = `Scalar.createApiReference('#reference', ${JSON.stringify({
  url: '/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  proxyUrl: '',
  // No AI agent (a scalar.com service) and no developer toolbar.
  agent: { disabled: true },
  showDeveloperTools: 'never',
  documentDownloadType: 'json',
  authentication: { preferredSecurityScheme: 'apiKey' },
})});\n`;

/**
 * The page's Content-Security-Policy: scripts from this origin only. Scalar (Vue) sets styles on
 * elements and injects its stylesheet at run time, so styles need 'unsafe-inline'; images may be
 * data: URLs (its icons). "Try it" fetches this origin (`connect-src 'self'`, plus PUBLIC_URL's).
 */
function contentSecurityPolicy(publicUrl: string | undefined): string {
  const connect = ["'self'", ...(publicUrl ? [new URL(publicUrl).origin] : [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>API reference · Alloy Embedded Kit</title>
</head>
<body>
<div id="reference"></div>
<script src="/docs/${SCALAR_BUNDLE}"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

interface Asset {
  type: string;
  body: Buffer;
  gzipped?: Buffer;
  etag: string;
  cache: string;
}

let bundle: Asset | undefined;

/** The bundle (3.5 MB, about 1 MB gzipped): read and compressed once, at its first request. */
function scalarBundle(): Asset {
  if (!bundle) {
    const body = fs.readFileSync(bundlePath);
    bundle = { type: 'text/javascript; charset=utf-8', body, gzipped: gzipSync(body), etag: `"scalar-${scalarVersion}"`, cache: 'public, max-age=31536000, immutable' };
  }
  return bundle;
}

const init: Asset = { type: 'text/javascript; charset=utf-8', body: Buffer.from(INIT_SCRIPT), etag: `"init-${scalarVersion}"`, cache: 'public, max-age=3600' };

function serve(c: Context<AppEnv>, asset: Asset): Response {
  const headers: Record<string, string> = { 'content-type': asset.type, 'cache-control': asset.cache, etag: asset.etag, vary: 'accept-encoding' };
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
  if (asset.gzipped && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
    return c.body(new Uint8Array(asset.gzipped), 200, { ...headers, 'content-encoding': 'gzip' });
  }
  return c.body(new Uint8Array(asset.body), 200, headers);
}

/** `/docs`: the API reference rendered by Scalar from /openapi.json, with its script from this origin. */
export function docsRoutes(app: Hono<AppEnv>, publicUrl: string | undefined): void {
  const csp = contentSecurityPolicy(publicUrl);
  app.get('/docs', (c) => c.html(PAGE, 200, { 'content-security-policy': csp, 'cache-control': 'no-cache' }));
  app.get('/docs/:file', (c) => {
    const file = c.req.param('file');
    if (file === SCALAR_BUNDLE) return serve(c, scalarBundle());
    if (file === 'init.js') return serve(c, init);
    throw new ApiError(404, 'not_found', `No file "${file}" under /docs`);
  });
}

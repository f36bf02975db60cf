import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../api';
import { ApiError } from '../errors';

/** The API versions Alloy documents, oldest first; the last is the default. */
export const API_VERSIONS = ['2023-12', '2024-03', '2025-09'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];
export const LATEST_API_VERSION: ApiVersion = API_VERSIONS[API_VERSIONS.length - 1]!;

/**
 * Versions the vendor's Node SDK (alloy-node) still sends, which Alloy never documented: each is
 * answered as the oldest documented version, 2023-12, the nearest to it.
 */
const SDK_VERSIONS: Record<string, ApiVersion> = { '2023-01': '2023-12', '2023-06': '2023-12' };

/** A path's `/YYYY-MM` prefix, as server/app.ts strips it before routing. */
const PREFIX = /^\/(\d{4}-\d{2})(?=\/)/;

/** The documented version a name stands for, or undefined for a name Alloy never used. */
export function resolveApiVersion(name: string): ApiVersion | undefined {
  return (API_VERSIONS as readonly string[]).includes(name) ? (name as ApiVersion) : SDK_VERSIONS[name];
}

function pathname(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return '/';
  const end = url.slice(start).search(/[?#]/);
  return end === -1 ? url.slice(start) : url.slice(start, start + end);
}

/**
 * Sets `apiVersion` from the path prefix (`/2024-03/integrations`, as the 2023-12 and 2024-03
 * guides write it) or else the `x-api-version` header (as the 2025-09 pages do); the latest when
 * neither names one. The prefix wins: it is what the copied URL says. An unknown version is a 400
 * that names where it came from, rather than an answer in a shape the caller did not ask for.
 */
export function apiVersion(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const prefix = PREFIX.exec(pathname(c.req.url))?.[1];
    const header = c.req.header('x-api-version')?.trim();
    const asked = prefix ?? header;
    const version = asked === undefined || asked === '' ? LATEST_API_VERSION : resolveApiVersion(asked);
    if (!version) {
      const where = prefix ? `the path prefix "/${prefix}"` : `the x-api-version header ("${header}")`;
      throw new ApiError(400, 'invalid_request', `Unknown API version in ${where}: use ${API_VERSIONS.join(', ')}`, [
        { path: prefix ? 'path' : 'x-api-version', message: `expected one of: ${API_VERSIONS.join(', ')}` },
      ]);
    }
    c.set('apiVersion', version);
    await next();
  };
}

/** The API version of a request (the latest outside the app, e.g. a route tested on its own). */
export function apiVersionOf(c: Context<AppEnv>): ApiVersion {
  return c.get('apiVersion') ?? LATEST_API_VERSION;
}

/** Whether the request asked for `version` or an older one (`versionAtMost(c, '2024-03')`: 2023-12 or 2024-03). */
export function versionAtMost(c: Context<AppEnv>, version: ApiVersion): boolean {
  return API_VERSIONS.indexOf(apiVersionOf(c)) <= API_VERSIONS.indexOf(version);
}

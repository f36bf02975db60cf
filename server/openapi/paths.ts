import type { RouteDoc } from '../api';

/** A route as the document lists it: under `path` (OpenAPI form), with the names its parameters have there. */
export interface ListedRoute {
  doc: RouteDoc;
  path: string;
  /** Parameter names of `path` that this route calls otherwise: template name → the route's own. */
  renamed: Map<string, string>;
  /** Other paths of this operation, named in its description rather than listed. */
  aliases: string[];
}

/**
 * Routes as the document lists them. A path with a trailing slash beside the same path without
 * one (`POST /users/`, as Alloy's reference writes it) is one operation for OpenAPI tools, so it is
 * named in the other's description instead of listed twice. Paths that differ only in a
 * parameter's name (`/credentials/:credentialId` for DELETE, `/credentials/:credentialName` for GET)
 * are one path template in OpenAPI: the first registered names it, and a later route's parameter
 * is described by its own name.
 */
export function listedRoutes(docs: readonly RouteDoc[]): ListedRoute[] {
  const key = (d: RouteDoc, path = d.path) => `${d.method} ${path}`;
  const registered = new Set(docs.map((d) => key(d)));
  const aliases = new Map<string, string[]>();
  const templates = new Map<string, string>();
  const listed: ListedRoute[] = [];
  for (const doc of docs) {
    const canonical = doc.path.length > 1 && doc.path.endsWith('/') ? doc.path.slice(0, -1) : undefined;
    if (canonical !== undefined && registered.has(key(doc, canonical))) {
      aliases.set(key(doc, canonical), [...(aliases.get(key(doc, canonical)) ?? []), doc.path]);
      continue;
    }
    const shape = doc.path.replace(/:\w+/g, ':');
    const template = templates.get(shape) ?? doc.path;
    templates.set(shape, template);
    const own = [...doc.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const theirs = [...template.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const renamed = new Map(theirs.map((name, i) => [name, own[i]!] as const).filter(([a, b]) => a !== b));
    listed.push({ doc, path: template.replace(/:(\w+)/g, '{$1}'), renamed, aliases: [] });
  }
  for (const entry of listed) entry.aliases = aliases.get(key(entry.doc)) ?? [];
  return listed;
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DefinitionError } from './event-schema';

/**
 * The `*.json` files of a directory (not recursive), in file-name order: what the integration and
 * connector loaders read. Dot files are editor and tooling leftovers; statSync follows symlinks
 * (Kubernetes ConfigMap mounts). A directory that does not exist is `undefined`, for the caller to
 * refuse or take as empty.
 */
export function jsonFilesIn(dir: string): string[] | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DefinitionError((err as Error).message, dir);
  }
  return names
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .sort()
    .map((n) => join(dir, n))
    .filter((f) => statSync(f).isFile());
}

/** A JSON file's value; invalid JSON is a `DefinitionError` naming the file. */
export function readJsonFile(file: string): unknown {
  // A byte-order mark is valid in a UTF-8 file but not in JSON.parse input.
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DefinitionError(`invalid JSON: ${(err as Error).message}`, file);
  }
}

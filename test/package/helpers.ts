import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

export const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
/** The environment of the commands: vitest's NODE_ENV=test left out, as a developer's shell would. */
const env = () => {
  const { NODE_ENV: _, ...rest } = process.env;
  return { ...rest, NO_COLOR: '1', npm_config_update_notifier: 'false' };
};

/** Runs a command; rejects with its output when it fails. */
export async function sh(command: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, args, { cwd, maxBuffer: 16 * 1024 * 1024, env: env() });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Runs a command that may fail: its exit code and output. */
export async function attempt(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, maxBuffer: 16 * 1024 * 1024, env: env() });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as Error & { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

/**
 * Builds the package (`build/package.ts`) into `dir/package` from the built widget (built first
 * when dist/widget lacks it, as the other browser tests do) and packs it with `npm pack`: the
 * tarball's path and the files it holds.
 */
export async function packPackage(dir: string): Promise<{ tarball: string; files: string[]; name: string; version: string }> {
  if (!['alloy.js', 'alloy.mjs', 'alloy-ui.js'].every((f) => fs.existsSync(path.join(root, 'dist', 'widget', f)))) await sh(tsx, ['build/widget.ts'], root);
  const out = path.join(dir, 'package');
  await sh(tsx, ['build/package.ts', '--out', out], root);
  const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', dir], out);
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; name: string; version: string; files: Array<{ path: string }> }>;
  return { tarball: path.join(dir, packed!.filename), files: packed!.files.map((f) => f.path).sort(), name: packed!.name, version: packed!.version };
}

/**
 * A fresh project in `dir` with the tarball installed by npm (offline: nothing comes from the
 * registry) and `links`, packages of this repository's node_modules, installed by path (symlinks).
 */
export async function freshProject(dir: string, tarball: string, links: string[] = []): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: path.basename(dir), private: true, type: 'module' }, null, 2)}\n`);
  const paths = links.map((name) => path.join(root, 'node_modules', name));
  await sh('npm', ['install', tarball, ...paths, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--loglevel=error'], dir);
}

/** Serves `dir`'s files on 127.0.0.1 (`index.html` for `/`), as any static host would. */
export async function serveStatic(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const types: Record<string, string> = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const file = path.join(dir, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname));
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

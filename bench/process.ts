/** Child processes of the benchmark: the servers under test and the load generator. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { quantile } from './common';

export const root = path.resolve(import.meta.dirname, '..');

export interface Server {
  url: string;
  pid: number;
  output(): string;
  /** SIGTERM (a graceful stop) unless told otherwise; SIGKILL is the crash the store must survive. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills whatever is still running (on an error or Ctrl-C of the benchmark itself). */
export function killAll(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Ctrl-C or a kill of a benchmark's own process stops what it started (servers, workers, autocannon) too. */
export function killAllOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(code);
    });
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
  });
}

/**
 * Starts a TypeScript entry with tsx, as test/helpers/process.ts does, on a free port of 127.0.0.1,
 * and resolves with its URL once it prints `listening on http://…` (or `ready`, for a worker, the
 * line that says it is running). `nodeArgs` go to Node before the entry (`--cpu-prof`, say).
 */
export function startServer(entry: string, env: Record<string, string>, ready = /listening on (http:\/\/\S+)/, nodeArgs: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd: root,
    // DATABASE_URL only as given: the benchmark's own env may name the PostgreSQL it benches, and
    // a server meant for SQLite (DATA_DIR) must not pick it up.
    env: { ...process.env, DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${entry} exited with ${code}: ${out}`));
    child.once('exit', onExit);
    const onData = () => {
      const match = out.match(ready);
      if (!match) return;
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      resolve({
        url: (match[1] ?? '').replace('localhost', '127.0.0.1'),
        pid: child.pid!,
        output: () => out,
        kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
          const gone = exited(child);
          child.kill(signal);
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          await gone;
          clearTimeout(timer);
        },
      });
    };
    child.stdout!.on('data', onData);
  });
}

export interface LoadResult {
  /** Mean requests per second over the run. */
  reqPerSec: number;
  p50: number;
  p99: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  total: number;
}

/** Runs autocannon in a process of its own (`--json`), POSTing `body` to `url`. */
export async function autocannon(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: { connections: number; seconds?: number; rate?: number; amount?: number },
): Promise<LoadResult> {
  const args = ['-c', String(opts.connections), '-m', 'POST', '--json', '-b', body];
  if (opts.amount) args.push('-a', String(opts.amount));
  else args.push('-d', String(opts.seconds ?? 10));
  if (opts.rate) args.push('-R', String(opts.rate));
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  args.push(url);
  const { out, err } = await runToEnd('autocannon', path.join(root, 'node_modules/.bin/autocannon'), args);
  if (!out.includes('{')) throw new Error(`autocannon printed no result: ${err}`);
  const r = JSON.parse(out.slice(out.indexOf('{')));
  return {
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    total: r.requests.total,
  };
}

/**
 * An open-loop load at `rate` requests per second for `seconds` (bench/paced.ts, in a process of
 * its own), over at most `connections` connections: latencies in fractional milliseconds.
 */
export async function paced(url: string, body: string, headers: Record<string, string>, opts: { connections: number; seconds: number; rate: number }): Promise<LoadResult> {
  const { out } = await runToEnd('bench/paced.ts', process.execPath, ['--import', 'tsx', 'bench/paced.ts'], {
    URL: url,
    BODY: body,
    HEADERS: JSON.stringify(headers),
    RATE: String(opts.rate),
    SECONDS: String(opts.seconds),
    CONNECTIONS: String(opts.connections),
  });
  return JSON.parse(out) as LoadResult;
}

/**
 * Runs a process of the benchmark's own to its end (killed by `killAll` like the servers) and
 * returns what it printed; a failure exit throws, naming it (`what`) and saying what it printed.
 */
export async function runToEnd(what: string, command: string, args: string[], env: Record<string, string> = {}): Promise<{ out: string; err: string }> {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  if (code !== 0) throw new Error(`${what} exited with ${code}: ${err || out}`);
  return { out, err };
}

export interface Canary {
  /** The median CPU time (ms) of the canary's fixed work in samples taken between two `Date.now()` times. */
  costBetween(from: number, to: number): number;
  stop(): Promise<void>;
}

/** Starts bench/canary.ts: how fast the machine ran the same work, at any time since. */
export async function startCanary(): Promise<Canary> {
  const child = await startServer('bench/canary.ts', {}, /(canary) ready/);
  return {
    costBetween(from, to) {
      const costs = child
        .output()
        .split('\n')
        .map((line) => line.split(' ').map(Number))
        .filter(([at, cost]) => at! >= from && at! <= to && Number.isFinite(cost))
        .map(([, cost]) => cost!);
      return quantile(costs, 0.5);
    },
    stop: () => child.kill(),
  };
}

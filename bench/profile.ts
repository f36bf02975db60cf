/**
 * `npm run bench:profile -- [sqlite|postgres] [seconds]`: where the server's time goes while it
 * delivers flat out. The delivery section's flat-out load (a Stream Data workflow posting to a sink
 * on loopback, 50 connections) against a server started with `--cpu-prof`; once the backlog is
 * delivered the server stops, and its profile is summed up: self time by file (or package) and by
 * function, and the CPU of the server, PostgreSQL and the machine per 1,000 events delivered.
 * The profile stays in the printed folder for Chrome's DevTools (Performance, "Load profile").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyShare, cpuTimes, headers, installStreaming, int, openBenchStore, orderBody, postgresCpuSince, processCpuSeconds, startSink, streamingServerEnv } from './common';
import { autocannon, killAll, killAllOnSignals, root, startServer } from './process';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: our file (relative), a package in node_modules, Node's internals, or V8's pseudo-frames. */
function place(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = file.slice(modules + 'node_modules/'.length).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (file.startsWith('node:')) return file;
  return path.relative(root, file);
}

/** Self time in ms by key, from the samples (each sample's time delta goes to the frame it hit). */
function selfTimes(profile: CpuProfile, key: (n: ProfileNode) => string): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const k = key(byId.get(id)!);
    out.set(k, (out.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return out;
}

/**
 * Total time (self and callees) of each of our functions, from the samples: a sample counts once
 * for every distinct function of ours on its stack (recursion counted once).
 */
function ourTotals(profile: CpuProfile): Map<string, number> {
  const parent = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = byId.get(id); n; n = parent.get(n.id)) {
      const where = place(n.callFrame.url, n.callFrame.functionName);
      if (!/^(server|bench)\//.test(where)) continue;
      const k = `${n.callFrame.functionName || '(anonymous)'} ${where}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.set(k, (out.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    }
  });
  return out;
}

function top(times: Map<string, number>, total: number, n: number): string {
  return [...times]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => `  ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${k}`)
    .join('\n');
}

async function main() {
  const kind = (process.argv[2] ?? 'sqlite').toLowerCase() === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const seconds = Number(process.argv[3] ?? 10);
  const pgUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-profile-'));
  const sink = await startSink();
  const store = await openBenchStore(kind, pgUrl);
  const server = await startServer('server/index.ts', streamingServerEnv(sink.url, store), undefined, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  try {
    const userId = await installStreaming(server.url);
    const url = `${server.url}/run/event`;
    const warm = await autocannon(url, orderBody(userId), headers, { connections: 10, seconds: 2 });
    await sink.waitFor(warm.ok2xx, 60_000);
    sink.reset();
    const pg = kind === 'PostgreSQL' ? postgresCpuSince() : () => 0;
    const cpu0 = processCpuSeconds([server.pid]);
    const machine0 = cpuTimes();
    const started = performance.timeOrigin + performance.now();
    const load = await autocannon(url, orderBody(userId), headers, { connections: 50, seconds });
    if (!(await sink.waitFor(load.ok2xx, 300_000))) throw new Error(`only ${sink.arrivals.size} of ${load.ok2xx} delivered within 300 s`);
    const last = Math.max(...sink.arrivals.values());
    const wall = (last - started) / 1000;
    const delivered = sink.arrivals.size;
    const serverCpu = processCpuSeconds([server.pid]) - cpu0;
    const pgCpu = pg();
    const busy = busyShare(machine0, cpuTimes());
    console.log(`${kind}: ${int(delivered / wall)} events/s delivered (${int(load.reqPerSec)} accepted/s), ${delivered} in ${wall.toFixed(1)} s, ${sink.duplicates()} twice`);
    console.log(
      `cores per 1,000 events/s delivered: server ${((serverCpu / delivered) * 1000).toFixed(3)}${kind === 'PostgreSQL' ? ` · PostgreSQL ${((pgCpu / delivered) * 1000).toFixed(3)}` : ''}; machine ${(busy * 100).toFixed(0)}% busy`,
    );
  } finally {
    await server.kill();
    await sink.close();
    await store.dispose();
  }
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile was written in ${dir}`);
  const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  const total = (profile.endTime - profile.startTime) / 1000;
  const idle = selfTimes(profile, (n) => n.callFrame.functionName).get('(idle)') ?? 0;
  console.log(`\nprofile ${path.join(dir, file)}: ${(total / 1000).toFixed(1)} s, main thread busy ${(((total - idle) / total) * 100).toFixed(0)}%`);
  console.log('\nself time by place:');
  console.log(
    top(
      selfTimes(profile, (n) => place(n.callFrame.url, n.callFrame.functionName)),
      total,
      25,
    ),
  );
  console.log('\ntotal time (with callees) of our functions:');
  console.log(top(ourTotals(profile), total, 40));
  console.log('\nself time by function:');
  console.log(
    top(
      selfTimes(profile, (n) => `${n.callFrame.functionName || '(anonymous)'} ${place(n.callFrame.url, n.callFrame.functionName)}:${n.callFrame.lineNumber + 1}`),
      total,
      40,
    ),
  );
}

killAllOnSignals();
main().catch((err) => {
  killAll();
  console.error(err);
  process.exit(1);
});

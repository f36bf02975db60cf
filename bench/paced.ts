/**
 * An open-loop load at a fixed rate, in a process of its own: POSTs BODY to URL (with HEADERS, a
 * JSON object) RATE times a second for SECONDS, each request sent when its time comes whether or
 * not the earlier ones were answered (autocannon's `-R` sends each tick's requests together, and a
 * closed loop measures its own queue), over at most CONNECTIONS pooled connections. Latency runs
 * from the request's send to its answer's end, in fractional milliseconds. The first second, at
 * the same rate, is not counted: it opens the connections and warms this process's own code (its
 * first requests measured tens of milliseconds); its answers are in the counts, not in the
 * latencies or the rate. Prints a LoadResult (bench/process.ts) as JSON.
 */
import { Agent, request } from 'undici';

const url = process.env.URL!;
const body = process.env.BODY!;
const headers = JSON.parse(process.env.HEADERS ?? '{}') as Record<string, string>;
const rate = Number(process.env.RATE);
const seconds = Number(process.env.SECONDS ?? 4);
const agent = new Agent({ connections: Number(process.env.CONNECTIONS ?? 50), pipelining: 1 });

const latencies: number[] = [];
let ok2xx = 0;
let non2xx = 0;
let errors = 0;
const inFlight = new Set<Promise<void>>();
const warmUp = Math.round(rate);
const total = warmUp + Math.round(rate * seconds);
const started = performance.now();

async function send(counted: boolean): Promise<void> {
  const sentAt = performance.now();
  try {
    const res = await request(url, { method: 'POST', dispatcher: agent, body, headers });
    await res.body.text();
    if (counted) latencies.push(performance.now() - sentAt);
    if (res.statusCode >= 200 && res.statusCode < 300) ok2xx++;
    else non2xx++;
  } catch {
    errors++;
  }
}

let sent = 0;
let measuredFrom = 0;
while (sent < total) {
  // Every request whose time has come, then sleep until the next one's (timers wake within about
  // 1 ms, so at 2,000/s about two go together; a busy loop would take a core from the server).
  const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
  if (sent < warmUp && due > warmUp) measuredFrom = performance.now();
  for (; sent < due; sent++) {
    const p = send(sent >= warmUp);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await new Promise((r) => setTimeout(r, Math.max(0, started + (sent / rate) * 1000 - performance.now())));
}
await Promise.all(inFlight);
const ms = performance.now() - measuredFrom;
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? 0;
console.log(JSON.stringify({ reqPerSec: latencies.length / (ms / 1000), p50: at(0.5), p99: at(0.99), ok2xx, non2xx, errors, timeouts: 0, total: sent }));
await agent.close();

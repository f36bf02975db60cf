/**
 * The reference point of the flat-out delivery rate: undici alone, pooled as the server's client
 * is, posting what a delivery posts (the same JSON body and content type) to the benchmark's sink,
 * 50 requests in flight for SECONDS, in a process of its own (as the server under test is). Prints
 * `{ "sent": n, "ms": t }`: requests answered, and over how long.
 */
import { Agent, request } from 'undici';

const url = process.env.SINK_URL!;
const seconds = Number(process.env.SECONDS ?? 3);
const agent = new Agent({ connections: 64, pipelining: 1 });
const body = JSON.stringify({ orderId: 'o-1' });
let sent = 0;
const started = performance.now();
const until = started + seconds * 1000;
await Promise.all(
  Array.from({ length: 50 }, async () => {
    while (performance.now() < until) {
      const res = await request(url, { method: 'POST', dispatcher: agent, body, headers: { 'content-type': 'application/json', 'webhook-id': `bare_${process.pid}_${sent}` } });
      await res.body.text();
      sent++;
    }
  }),
);
console.log(JSON.stringify({ sent, ms: performance.now() - started }));
await agent.close();

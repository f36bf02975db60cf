import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Stream Data receiver on 127.0.0.1 whose answer takes `delayMs` (a destination doing some work),
 * or, while `hold` is on, never comes until `release`. It counts, per sender (the JSON body's `who`),
 * the deliveries received and the most it was answering at once: a lower bound of the executions
 * that ran at once.
 */
export async function startPacedSink(delayMs: number) {
  const received = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const most = new Map<string, number>();
  const held: (() => void)[] = [];
  let holding = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let who = '?';
      try {
        who = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { who?: unknown }).who ?? '?');
      } catch {
        // not JSON: counted as '?'
      }
      received.set(who, (received.get(who) ?? 0) + 1);
      const now = (inFlight.get(who) ?? 0) + 1;
      inFlight.set(who, now);
      most.set(who, Math.max(most.get(who) ?? 0, now));
      const answer = () => {
        inFlight.set(who, inFlight.get(who)! - 1);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      };
      if (holding) held.push(answer);
      else setTimeout(answer, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Deliveries received from `who` so far. */
    received: (who: string) => received.get(who) ?? 0,
    /** Deliveries from `who` received and not yet answered. */
    inFlight: (who: string) => inFlight.get(who) ?? 0,
    /** The most deliveries from `who` it was answering at once. */
    most: (who: string) => most.get(who) ?? 0,
    /** From now on, requests are held unanswered until `release`. */
    hold() {
      holding = true;
    },
    /** Answers the held requests and stops holding. */
    release() {
      holding = false;
      for (const answer of held.splice(0)) answer();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const answer of held.splice(0)) answer();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Polls `check` every 20 ms until it holds (about 20 s at most): a sentinel, not a sleep. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

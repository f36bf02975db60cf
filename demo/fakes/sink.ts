import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: unknown;
  at: number;
}

/**
 * A Stream Data destination on 127.0.0.1 that records what it receives. `failNext(n, status)`
 * makes the next n requests fail with that status (or reset the connection with status 0).
 * `onDelivery` hears each delivery it accepted (the demo's live feed). `delayMs` holds each 200
 * answer back that long after the delivery is recorded (a slow destination).
 */
export async function startSink(options: { onDelivery?: (delivery: Delivery) => void; delayMs?: number } = {}) {
  const deliveries: Delivery[] = [];
  let failures: Array<{ status: number; headers?: Record<string, string>; path?: string }> = [];
  const waiters: Array<() => void> = [];
  /** Answers held back by `delayMs`, dropped on close. */
  const held = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const index = failures.findIndex((f) => f.path === undefined || f.path === req.url);
      const failure = index >= 0 ? failures.splice(index, 1)[0] : undefined;
      if (failure?.status === 0) {
        req.socket.destroy();
        return;
      }
      if (failure) {
        res.writeHead(failure.status, { 'content-type': 'application/json', ...failure.headers }).end('{"error":"induced"}');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        // keep null
      }
      const delivery = { path: req.url ?? '/', headers: req.headers, body, json, at: Date.now() };
      deliveries.push(delivery);
      options.onDelivery?.(delivery);
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      if (options.delayMs) {
        const timer = setTimeout(() => (held.delete(timer), answer()), options.delayMs);
        held.add(timer);
      } else answer();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    deliveries,
    /** Fails the next `count` requests (to `path` only, when given) with `status`; 0 resets the connection. */
    failNext(count: number, status: number, headers?: Record<string, string>, path?: string) {
      failures = [...failures, ...Array.from({ length: count }, () => ({ status, headers, path }))];
    },
    /** Resolves once `count` deliveries have arrived, or rejects after `timeoutMs`. */
    async waitFor(count: number, timeoutMs = 10_000): Promise<Delivery[]> {
      const deadline = Date.now() + timeoutMs;
      while (deliveries.length < count) {
        if (Date.now() > deadline) throw new Error(`sink: ${deliveries.length} of ${count} deliveries after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return deliveries;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of held) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

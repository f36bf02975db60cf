import { createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordRequest, type AppFake, type RecordedRequest } from './app-fake';

/**
 * An `AppFake` in front of a fake written before the kit (the demo's Slack and BigCommerce, the
 * NetSuite one): it records every request in full (headers and body too), answers the failures
 * `failNext` asks for in the app's error shape, and forwards the rest to the fake unchanged.
 */
export async function recordingProxy(target: { url: string; close(): Promise<void> }, errorBody: (status: number, message: string) => unknown): Promise<AppFake> {
  const requests: RecordedRequest[] = [];
  const failures: Array<{ status: number; retryAfter?: string; message?: string }> = [];
  const upstream = new URL(target.url);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      requests.push(recordRequest(req, raw.toString('utf8')));
      const failure = failures.shift();
      if (failure) {
        res
          .writeHead(failure.status, { 'content-type': 'application/json', ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}) })
          .end(JSON.stringify(errorBody(failure.status, failure.message ?? `failed on purpose (${failure.status})`)));
        return;
      }
      const out = forward({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.writeHead(502).end());
      out.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // The fake's own path prefix stays (the demo Slack's `/api`): requests go through with their paths unchanged.
    url: `http://127.0.0.1:${port}${upstream.pathname.replace(/\/$/, '')}`,
    requests,
    failNext(status, { retryAfter, times = 1, message } = {}) {
      for (let i = 0; i < times; i++) failures.push({ status, retryAfter, message });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await target.close();
    },
  };
}

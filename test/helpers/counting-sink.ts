import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Stream Data receiver on 127.0.0.1 that counts every request per path, failed ones too, and
 * answers 500 on the paths marked `down` (a destination that is failing) and 200 elsewhere.
 */
export async function startCountingSink() {
  const calls = new Map<string, number>();
  const down = new Set<string>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '/';
      calls.set(path, (calls.get(path) ?? 0) + 1);
      const failing = down.has(path);
      res.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' }).end(failing ? '{"error":"induced"}' : '{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Requests `path` received, answered or failed. */
    calls: (path: string) => calls.get(path) ?? 0,
    /** `path` answers 500 from now on (`false`: 200 again). */
    setDown(path: string, isDown = true) {
      if (isDown) down.add(path);
      else down.delete(path);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestServer } from './server';

/** This server's public URL (PUBLIC_URL) on 127.0.0.1: it hands what the fake store POSTs to the test server's app. */
export async function startPublicUrl(target: () => TestServer) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && !['host', 'connection', 'content-length'].includes(e[0])),
      );
      const answer = await target().request(req.method!, req.url!, { apiKey: null, rawBody: Buffer.concat(chunks).toString('utf8'), headers });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

/**
 * The reference point of the accept-path benchmark: a bare Hono JSON endpoint in a process of its
 * own, on @hono/node-server, as close to "Hono with nothing behind it" as it gets. It parses the
 * JSON body (so the per-request parsing cost is on both sides of the ratio) and answers `{ ok: true }`.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/run/event', async (c) => {
  await c.req.json();
  return c.json({ ok: true });
});

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: process.env.HOST ?? '127.0.0.1' }, (info) => {
  console.log(`bare Hono listening on http://127.0.0.1:${info.port}`);
});

const stop = () => {
  server.close(() => process.exit(0));
  (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

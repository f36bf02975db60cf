import { serve } from '@hono/node-server';
import { createApp } from './app';
import { httpServerOptions, loadConfig } from './config';
import { safeUrl } from './engine/http';
import { startServices } from './services';
import { startRetentionSweep } from './retention';
import { startDemo } from '../demo/index';

async function main() {
  if (process.env.DEMO === 'on' && process.env.NODE_ENV === 'production') {
    throw new Error('DEMO=on serves a page that gets a user token without signing in: not with NODE_ENV=production. Set DEMO=off.');
  }
  if (process.env.DEMO === 'on') {
    // The demo hands a user token to whoever opens its page: only this machine, unless HOST says
    // otherwise. Its fake apps and AcmeCo's receiver are on loopback, so private URLs are allowed.
    process.env.HOST ??= '127.0.0.1';
    process.env.ALLOY_ALLOW_PRIVATE_URLS ??= 'true';
  }
  // The demo's fake apps start before the configuration loads: it points SLACK_API_URL and BIGCOMMERCE_API_URL at them.
  const demo = process.env.DEMO === 'on' ? await startDemo() : undefined;
  const config = loadConfig();
  const { services, devApiKey, devApiKeyCreated, newWebhookSecret, released } = await startServices(config);
  const extraRoutes = demo?.routes({ apiKey: config.apiKey ?? devApiKey!, webhookSecret: services.engine.deps.settings.webhookSecret });
  const app = createApp(services, { extraRoutes });
  const stopSweep = startRetentionSweep(services.store, config.logRetentionDays);
  // Read before listening: the banner says whether the lifecycle webhooks' endpoint was disabled.
  const eventsEndpoint = config.eventsWebhookUrl ? await services.store.webhookMessages.endpoint(config.eventsWebhookUrl) : undefined;

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host, serverOptions: httpServerOptions(config) }, (info) => {
    const url = config.publicUrl ?? `http://localhost:${info.port}`;
    // This process's own address: Stream Data paths (`/demo/sink/acmeco`) and the demo backend use it.
    const local = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
    services.engine.deps.settings.selfUrl ??= `http://${local}:${info.port}`;
    demo?.listening(`http://${local}:${info.port}`);
    const store = config.databaseUrl ? 'PostgreSQL' : `SQLite (${config.dataDir})`;
    console.log(`Alloy Embedded Kit listening on ${url} — store: ${store}`);
    console.log(`  integrations: ${services.definitions.integrations.map((i) => i.id).join(', ')} (from ${config.integrationsDir})`);
    if (released.length) console.log(`  released: ${released.join(', ')}`);
    if (devApiKey) {
      console.log(`  development API key${devApiKeyCreated ? ' (new)' : ''}: ${devApiKey}`);
      console.log(`    kept in ${config.dataDir}/dev-api-key; set ALLOY_API_KEY to use your own`);
    }
    if (newWebhookSecret) {
      console.log(`  Stream Data signing secret (new, Standard Webhooks): ${newWebhookSecret}`);
      console.log(`    kept in ${config.dataDir}/webhook-secret; set ALLOY_WEBHOOK_SECRET to use your own`);
    }
    console.log(`  workers: ${config.workers ? `${config.workerConcurrency} in this process` : 'off (run npm run worker)'}`);
    if (config.errorWebhookUrl) console.log(`  error webhook: ${safeUrl(config.errorWebhookUrl)} (final failures, signed; sent by the processes that run workers)`);
    if (config.eventsWebhookUrl) {
      const disabled = eventsEndpoint?.disabledAt
        ? ` — DISABLED since ${new Date(eventsEndpoint.disabledAt).toISOString()} after failing; messages are kept, not sent, until POST /webhook-endpoint/enable`
        : '';
      console.log(`  lifecycle webhooks: ${safeUrl(config.eventsWebhookUrl)} (installation.*, credential.*, execution.failed; signed)${disabled}`);
    }
    console.log(`  API reference: ${url}/docs`);
    for (const line of demo?.banner() ?? []) console.log(line);
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    stopSweep();
    // Stop accepting; idle keep-alive connections would otherwise hold the close open.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    // The worker stops claiming, lets running executions finish (up to 10 s) and releases the rest.
    Promise.all([closed, services.engine.stop(), demo?.close()])
      .then(() => services.store.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  // A bad definition file or configuration is the user's to fix: say what, not a stack.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

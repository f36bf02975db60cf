import { serve } from '@hono/node-server';
import { createApp } from './app';
import { httpServerOptions, loadConfig } from './config';
import { safeUrl } from './engine/http';
import { startServices } from './services';
import { startRetentionSweep } from './retention';
import { startDemo } from '../demo/index';
import { startAdminServer } from './observability/admin';
import { logBanner, logStartFailure, processLogLevel, setLogLevel } from './observability/log';
import { exitGracefully, runningState } from './observability/shutdown';

async function main() {
  setLogLevel(processLogLevel());
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
  const shutdown = runningState();
  const app = createApp(services, { extraRoutes, shutdown });
  const admin = await startAdminServer(services, shutdown);
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
    const lines = [`Alloy Embedded Kit listening on ${url} — store: ${store}`];
    lines.push(`  integrations: ${services.definitions.integrations.map((i) => i.id).join(', ')} (from ${config.integrationsDir})`);
    if (released.length) lines.push(`  released: ${released.join(', ')}`);
    if (devApiKey) {
      lines.push(`  development API key${devApiKeyCreated ? ' (new)' : ''}: ${devApiKey}`);
      lines.push(`    kept in ${config.dataDir}/dev-api-key; set ALLOY_API_KEY to use your own`);
    }
    if (newWebhookSecret) {
      lines.push(`  Stream Data signing secret (new, Standard Webhooks): ${newWebhookSecret}`);
      lines.push(`    kept in ${config.dataDir}/webhook-secret; set ALLOY_WEBHOOK_SECRET to use your own`);
    }
    lines.push(`  workers: ${config.workers ? `${config.workerConcurrency} in this process` : 'off (run npm run worker)'}`);
    if (config.errorWebhookUrl) lines.push(`  error webhook: ${safeUrl(config.errorWebhookUrl)} (final failures, signed; sent by the processes that run workers)`);
    if (config.eventsWebhookUrl) {
      const disabled = eventsEndpoint?.disabledAt
        ? ` — DISABLED since ${new Date(eventsEndpoint.disabledAt).toISOString()} after failing; messages are kept, not sent, until POST /webhook-endpoint/enable`
        : '';
      lines.push(`  lifecycle webhooks: ${safeUrl(config.eventsWebhookUrl)} (installation.*, credential.*, execution.failed; signed)${disabled}`);
    }
    lines.push(`  API reference: ${url}/docs`);
    if (config.console) lines.push(`  console: ${url}/console (sign in with the API key)`);
    lines.push(
      `  metrics: ${admin ? `${admin}/metrics (and ${admin}/health/ready)` : config.metricsToken ? `${url}/metrics (METRICS_TOKEN)` : 'off (set METRICS_TOKEN or METRICS_PORT)'}`,
    );
    lines.push(...(demo?.banner() ?? []));
    logBanner(lines, { url, port: info.port, store: config.databaseUrl ? 'postgres' : 'sqlite', metrics: admin ?? (config.metricsToken ? `${url}/metrics` : null) });
  });

  // SIGTERM / SIGINT: /health/ready answers 503 from now on; the port stops accepting (keep-alive
  // connections close once their request is answered: server/observability/http.ts); the worker
  // stops claiming, lets running executions finish within the grace and gives back the rest; then
  // the store closes (events being committed first), the logs are written out, and the process exits.
  exitGracefully(shutdown, config.shutdownTimeoutMs, async (graceMs) => {
    stopSweep();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    await Promise.all([closed, services.engine.stop(graceMs), demo?.close()]);
    await services.store.close();
  });
}

main().catch((err) => {
  logStartFailure(err);
  process.exit(1);
});

import { serve } from '@hono/node-server';
import { createApp } from './app';
import { loadConfig } from './config';
import { startServices } from './services';
import { startRetentionSweep } from './retention';

async function main() {
  const config = loadConfig();
  const { services, devApiKey, devApiKeyCreated, newWebhookSecret, released } = await startServices(config);
  const app = createApp(services);
  const stopSweep = startRetentionSweep(services.store, config.logRetentionDays);

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    const url = config.publicUrl ?? `http://localhost:${info.port}`;
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
    console.log(`  API reference: ${url}/docs`);
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
    Promise.all([closed, services.engine.stop()])
      .then(() => services.store.close())
      .then(() => process.exit(0), () => process.exit(1));
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

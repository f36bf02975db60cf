import { loadConfig } from './config';
import { startServices } from './services';
import { startAdminServer } from './observability/admin';
import { logger, logStartFailure, processLogLevel, setLogLevel } from './observability/log';
import { exitGracefully, runningState } from './observability/shutdown';

/**
 * `npm run worker`: a process that only runs executions, for scaling out on PostgreSQL beside any
 * number of server processes. With METRICS_PORT it serves `/metrics` and the health probes there.
 * SIGTERM stops claiming, finishes or releases what is running (server/observability/shutdown.ts).
 */
async function main() {
  setLogLevel(processLogLevel());
  const config = loadConfig();
  if (!config.databaseUrl) logger.warn('worker: no DATABASE_URL; running against the SQLite file in DATA_DIR');
  const { services } = await startServices(config, { worker: true });
  const shutdown = runningState();
  const admin = await startAdminServer(services, shutdown);
  const owner = services.engine.worker!.owner;
  const probes = admin ? `; metrics at ${admin}/metrics, health probes at ${admin}/health/live and /health/ready` : '';
  logger.info({ owner, concurrency: config.workerConcurrency, metrics: admin ?? null }, `worker ${owner} running, concurrency ${config.workerConcurrency}${probes}`);
  exitGracefully(shutdown, config.shutdownTimeoutMs, async (graceMs) => {
    await services.engine.stop(graceMs);
    await services.store.close();
  });
}

main().catch((err) => {
  logStartFailure(err);
  process.exit(1);
});

import { loadConfig } from './config';
import { startServices } from './services';

/**
 * `npm run worker`: a process that only runs executions, for scaling out on PostgreSQL beside any
 * number of server processes. SIGTERM stops claiming, finishes or releases what is running.
 */
async function main() {
  const config = loadConfig();
  if (!config.databaseUrl) console.warn('worker: no DATABASE_URL; running against the SQLite file in DATA_DIR');
  const { services } = await startServices(config, { worker: true });
  console.log(`worker ${services.engine.worker!.owner} running, concurrency ${config.workerConcurrency}`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing running executions`);
    await services.engine.stop();
    await services.store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

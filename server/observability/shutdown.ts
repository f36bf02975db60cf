import { flushLogs, logger } from './log';

/** Whether the process is stopping: /health/ready answers 503 and every answer closes its connection. */
export interface ShutdownState {
  shuttingDown: boolean;
}

export const runningState = (): ShutdownState => ({ shuttingDown: false });

/**
 * Of SHUTDOWN_TIMEOUT_MS, what running executions get to finish: the rest is for giving back the
 * leases of those still running, closing the store and writing out the logs (milliseconds, but the
 * whole must fit), at most a second.
 */
export function executionGraceMs(timeoutMs: number): number {
  return Math.max(0, timeoutMs - Math.min(1000, Math.floor(timeoutMs / 4)));
}

/**
 * On SIGTERM or SIGINT, once: marks the process as shutting down, runs `stop` (which stops
 * accepting, lets executions finish within `executionGraceMs(timeoutMs)`, releases the others and
 * closes the store), writes out the logs and exits 0. Past `timeoutMs` it exits anyway, 1, saying so.
 */
export function exitGracefully(state: ShutdownState, timeoutMs: number, stop: (graceMs: number) => Promise<void>): void {
  const shutdown = (signal: string) => {
    if (state.shuttingDown) return;
    state.shuttingDown = true;
    const started = Date.now();
    logger.info({ signal, timeoutMs }, `${signal}: shutting down`);
    const exit = (code: number) => {
      flushLogs();
      process.exit(code);
    };
    setTimeout(() => {
      logger.error({ timeoutMs }, `shutdown: not done within SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms); exiting`);
      exit(1);
    }, timeoutMs).unref();
    stop(executionGraceMs(timeoutMs)).then(
      () => {
        logger.info({ ms: Date.now() - started }, 'shutdown: done');
        exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown: failed');
        exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

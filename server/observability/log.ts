import pino from 'pino';

/** The levels LOG_LEVEL takes, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const isLevel = (value: string | undefined): value is LogLevel => (LOG_LEVELS as readonly string[]).includes(value ?? '');

/**
 * The level a server or worker process logs at: LOG_LEVEL, or info. Read by the entry points before
 * the configuration loads, so that a configuration error is logged too (the configuration then
 * refuses a LOG_LEVEL that is not a level, naming it).
 */
export function processLogLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  return isLevel(env.LOG_LEVEL) ? env.LOG_LEVEL : 'info';
}

// Asynchronous writes (a slow pipe must not stall a request); flushed by `flushLogs` before the process exits.
const destination = pino.destination({ dest: 1, sync: false });

/**
 * The one logger: JSON lines on stdout (`{"level":"info","time":"…","pid":…,"msg":"…"}`). In-process
 * tests (vitest) are silent unless LOG_LEVEL says otherwise; the processes set their level at start
 * (`setLogLevel`), so a server a test starts as a process logs as it would in production.
 */
export const logger = pino(
  {
    level: isLevel(process.env.LOG_LEVEL) ? process.env.LOG_LEVEL : process.env.VITEST ? 'silent' : 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The level's name, not its number: readable by people and by every log shipper's filter.
    formatters: { level: (label) => ({ level: label }) },
  },
  destination,
);

export function setLogLevel(level: LogLevel): void {
  logger.level = level;
}

/** Writes out what is buffered, before `process.exit` (which would drop it). */
export function flushLogs(): void {
  try {
    destination.flushSync();
  } catch {
    // Not open yet (nothing written), or stdout is gone: nothing to save.
  }
}

/**
 * Why the process could not start (a bad configuration or definition file: the operator's to fix,
 * so the reason, not a stack), as the banner would be: plain text on a terminal, else a fatal JSON
 * line; then written out, before the caller exits.
 */
export function logStartFailure(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  if (process.stdout.isTTY) process.stderr.write(`${message}\n`);
  else logger.fatal(message);
  flushLogs();
}

/**
 * The start banner: human lines on a terminal (someone ran `npm start`), one JSON line elsewhere
 * (a container's log): its first line is the message, the others `details`, trimmed. Logged at
 * info, so LOG_LEVEL=warn quiets it too.
 */
export function logBanner(lines: string[], fields: Record<string, unknown> = {}): void {
  if (!logger.isLevelEnabled('info') || lines.length === 0) return;
  if (process.stdout.isTTY) {
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  logger.info({ ...fields, details: lines.slice(1).map((line) => line.trim()) }, lines[0]!.trim());
}

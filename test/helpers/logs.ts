import { format, inspect } from 'node:util';
import { vi } from 'vitest';
import { logger, LOG_LEVELS } from '../../server/observability/log';

/** One call of the server's logger: its level, its message, the fields given with it, and all of it as text (for scans). */
export interface LogRecord {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
  text: string;
}

/**
 * Records what the server logs from now on (in tests the logger writes nothing: LOG_LEVEL is
 * silent unless set), each call as pino takes it: `logger.warn('message')` or
 * `logger.error({ err, … }, 'message')`. Until `restore()` or `vi.restoreAllMocks()`.
 */
export function captureLogs() {
  const records: LogRecord[] = [];
  const levels = LOG_LEVELS.filter((l) => l !== 'silent');
  const spies = levels.map((level) =>
    vi.spyOn(logger, level).mockImplementation(((...args: unknown[]) => {
      const [fields, rest] = typeof args[0] === 'string' ? [{}, args] : [(args[0] ?? {}) as Record<string, unknown>, args.slice(1)];
      const msg = format(...rest);
      records.push({ level, msg, fields, text: `${msg} ${inspect(fields, { depth: 5 })}` });
    }) as never),
  );
  return {
    records,
    /** The messages logged (at `level` only, when given), in order. */
    messages: (level?: string) => records.filter((r) => level === undefined || r.level === level).map((r) => r.msg),
    restore: () => spies.forEach((s) => s.mockRestore()),
  };
}

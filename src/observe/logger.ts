import pino, { type Logger } from 'pino';

export type { Logger };

/** The level when none is asked for: quiet under test runners, informative otherwise. */
export function defaultLogLevel(): string {
  return process.env['WEIR_LOG_LEVEL'] ?? (process.env['VITEST'] !== undefined ? 'silent' : 'info');
}

/**
 * Structured JSON logs on stderr (stdout is for job output). Synchronous writes: a worker thread or a failing process
 * must not lose its last lines.
 */
export function createLogger(level: string = defaultLogLevel(), bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...bindings }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }));
}

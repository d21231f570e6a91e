import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import pino, { type Logger } from 'pino';
import { createRequire } from 'node:module';

export type { Logger };

/** The level when none is asked for: quiet under test runners, informative otherwise. */
export function defaultLogLevel(): string {
  return process.env['WEIR_LOG_LEVEL'] ?? (process.env['VITEST'] !== undefined ? 'silent' : 'info');
}

/**
 * Whether logs are for a person: `WEIR_LOG_FORMAT` (`pretty` or `json`) when set, else whether stderr is a terminal
 * (a file descriptor's own answer, which worker threads get too). Collected logs (a container's, a pipe) stay JSON.
 */
export function prettyLogs(): boolean {
  const format = process.env['WEIR_LOG_FORMAT'];
  if (format === 'pretty' || format === 'json') return format === 'pretty';
  return isatty(2);
}

/** Back to the start of the terminal's line, and clears it: a progress line drawn there gives way to a log line. */
export const CLEAR_LINE = '\r\x1b[K';

/**
 * Logs on stderr (stdout is for job output): one JSON object a line, or, for a person at a terminal, pino-pretty's
 * coloured lines. Synchronous writes either way: a worker thread or a failing process must not lose its last lines.
 */
export function createLogger(level: string = defaultLogLevel(), bindings: Record<string, unknown> = {}): Logger {
  const options = { level, base: { ...bindings }, timestamp: pino.stdTimeFunctions.isoTime };
  if (prettyLogs()) {
    const terminal = isatty(2);
    // Loaded only for a person's terminal: every worker thread makes a logger, and JSON needs none of it.
    const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    const prettify = prettyFactory({ colorize: terminal, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
    // Each line first clears what a progress line left on the terminal's last line (it is drawn again at its next tick).
    return pino(options, { write: (line: string) => void writeSync(2, `${terminal ? CLEAR_LINE : ''}${prettify(line)}`) });
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}

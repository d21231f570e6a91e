import { readFileSync } from 'node:fs';
import { WeirError } from '../core/errors.ts';
import { compileErrorsOf, type CompileError } from '../runtime/compile-errors.ts';
import { isUserLocation, stackLocations } from '../core/stack-frames.ts';

/** The compiler's text with file:line:column, then the line itself and a caret under the column. */
function compilerLines({ file, line, column, text }: CompileError): string[] {
  const lines = [`  ${file}:${line}:${column}: ${text}`];
  try {
    const source = readFileSync(file, 'utf8').split('\n')[line - 1];
    if (source !== undefined) lines.push(`    ${source}`, `    ${' '.repeat(column - 1)}^`);
  } catch {
    // The file is gone or unreadable: the location and the text are what there is.
  }
  return lines;
}

/** A Node system error (ENOENT, EADDRINUSE): its message says it all, its frames are Node's. */
function isSystemError(error: Error): boolean {
  return typeof (error as { syscall?: unknown }).syscall === 'string';
}

/**
 * The "    at ..." lines worth showing: every frame of an error that is neither weir's nor Node's own system error, and
 * of weir's errors only those in the user's code (weir's frames say nothing to a user).
 */
function frameLines(error: Error): string[] {
  if (isSystemError(error)) return [];
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  if (!(error instanceof WeirError)) return frames;
  return frames.filter((line) => stackLocations(line).some(isUserLocation));
}

function header(error: Error): string {
  const code = error instanceof WeirError ? error.code : (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
}

/**
 * What `weir` prints on stderr for a failure: the error and its causes in whole (class, code, message, the compiler's
 * diagnostics, the user's stack frames; every frame of an error that is not weir's), then one summary line last.
 * A cause that adds nothing (its message is already in its parent's, and it has no frame or diagnostic to show) is
 * left out; a weir error with a one-line message and nothing more to show is the summary line alone.
 */
export function errorReport(error: unknown): string[] {
  if (!(error instanceof Error)) return [`weir: a non-error value was thrown: ${String(error)}`];
  const details: string[] = [];
  let parentMessage: string | undefined;
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 16; depth++) {
    if (!(current instanceof Error)) {
      details.push(`caused by a non-error value: ${String(current)}`);
      break;
    }
    const compiler = compileErrorsOf(current).flatMap(compilerLines);
    // esbuild's stack frames are its own worker's; the diagnostics say where the job is wrong.
    const frames = compiler.length > 0 ? [] : frameLines(current);
    const repeated = parentMessage !== undefined && parentMessage.includes(current.message);
    if (!repeated || compiler.length > 0 || frames.length > 0) {
      details.push(`${depth === 0 ? '' : 'caused by '}${header(current)}`, ...compiler, ...frames);
    }
    parentMessage = current.message;
    current = current.cause;
  }
  const summary = `weir: ${error instanceof WeirError ? '' : `${error.name}: `}${error.message.split('\n')[0]}`;
  const alone = error instanceof WeirError && details.length === 1 && !error.message.includes('\n');
  return alone ? [summary] : [...details, summary];
}

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `weir` command of this very package (bin/weir.js beside src/ in the repository, beside dist/ when installed). */
export const WEIR_BIN = fileURLToPath(new URL('../../bin/weir.js', import.meta.url));

/** How one `weir` process ended, with what it printed. */
export interface ProcessOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of `runWeir`. */
export interface RunWeirOptions {
  /** Added to this process's environment (WEIR_LOG_LEVEL is 'warn' unless given). */
  readonly env?: Readonly<Record<string, string>>;
  /** The working directory (default: this process's). */
  readonly cwd?: string;
  /** Gets the child once spawned (to signal it). */
  readonly started?: (child: ChildProcess) => void;
}

/** Runs `weir <args>` as its own process, as a user or a container would, and resolves when it has ended. */
export function runWeir(args: readonly string[], options: RunWeirOptions = {}): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WEIR_BIN, ...args], { cwd: options.cwd ?? process.cwd(), env: { ...process.env, WEIR_LOG_LEVEL: 'warn', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    options.started?.(child);
  });
}

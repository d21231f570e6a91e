import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildMavenProject, exitOf } from '../maven.ts';

/**
 * Builds and runs bench/flink: Nexmark on Apache Flink's DataStream API in a local environment (bench/README.md,
 * "Nexmark, weir beside Apache Flink"). Maven fetches Flink into ~/.m2 on the first build; the JVM runs on the
 * classpath Maven resolved, so no jar is assembled or committed.
 */
const FLINK_DIR = fileURLToPath(new URL('../flink/', import.meta.url));
const MAIN_CLASS = 'weir.bench.nexmark.Main';
/** --print-events output runs to hundreds of bytes per event; spawnSync's default buffer is 1 MiB. */
const MAX_BUFFER = 1 << 30;
const STDERR_TAIL_LINES = 40;

export interface FlinkRunArgs {
  readonly query: string;
  readonly parallelism: number;
  readonly events: number;
  readonly warmup: number;
  readonly seed: number;
}

/** Compiles bench/flink with Maven and returns the Java classpath to run it (its classes, then its dependencies). */
export function buildFlink(): string {
  return buildMavenProject(FLINK_DIR, 'bench/flink, the Flink side of the Nexmark benchmark,');
}

/** Runs one query on Flink and returns its JSON line (see bench/flink Main). */
export function runFlink(classpath: string, args: FlinkRunArgs): Record<string, unknown> {
  const stdout = java(classpath, [
    '--query',
    args.query,
    '--parallelism',
    String(args.parallelism),
    '--events',
    String(args.events),
    '--warmup',
    String(args.warmup),
    '--seed',
    String(args.seed),
  ]);
  const last = stdout.trimEnd().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`Flink's Nexmark run printed no JSON line; its stdout ended with: ${last}`);
  }
}

/** Events 0 to count - 1 as the Java generator makes them, one JSON line each (to compare with generator.ts). */
export function flinkEvents(classpath: string, count: number, seed: number): string[] {
  const stdout = java(classpath, ['--print-events', String(count), '--seed', String(seed)]);
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * Runs Main with the JVM's default options (the benchmark measures Flink as it comes) and returns its stdout.
 * stderr is captured so that a failure can quote it, and passed on when the run succeeds (Flink's warnings).
 */
function java(classpath: string, mainArgs: readonly string[]): string {
  const result = spawnSync('java', ['-cp', classpath, MAIN_CLASS, ...mainArgs], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: MAX_BUFFER,
  });
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? 'bench/flink needs java (JDK 17 or later) on the PATH' : `java could not run: ${result.error.message}`);
  }
  if (result.status !== 0) {
    const tail = result.stderr.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
    throw new Error(`Flink's Nexmark run (${mainArgs.join(' ')}) failed (java ${exitOf(result)}); stderr ends:\n${tail}`);
  }
  if (result.stderr !== '') process.stderr.write(result.stderr);
  return result.stdout;
}

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
/**
 * A fixed heap, the same for every query and run (bench/README.md): the JVM's default is a quarter of the machine's
 * memory (6.3 GB here), which makes peak RSS a matter of when the collector runs. q3 needs the most: its live state
 * reaches about 0.8 GB at its default 70M events, where a 1 GB heap left G1 a young generation of 45 MB.
 */
export const FLINK_HEAP = '2g';

export type FlinkApi = 'datastream' | 'sql';

export interface FlinkRunArgs {
  readonly query: string;
  readonly parallelism: number;
  readonly events: number;
  readonly warmup: number;
  readonly seed: number;
  readonly api: FlinkApi;
  /** A verification run: the sinks hash every result. */
  readonly hash: boolean;
  /** The CPU list given to `taskset -c` (e.g. "0" or "0,1"), or undefined to run unpinned. */
  readonly cores: string | undefined;
}

/** Compiles bench/flink with Maven and returns the Java classpath to run it (its classes, then its dependencies). */
export function buildFlink(): string {
  return buildMavenProject(FLINK_DIR, 'bench/flink, the Flink side of the Nexmark benchmark,');
}

/** Runs one query on Flink and returns its JSON line (see bench/flink Main). */
export function runFlink(classpath: string, args: FlinkRunArgs): Record<string, unknown> {
  const stdout = java(classpath, args.cores, [
    '--api',
    args.api,
    '--hash',
    String(args.hash),
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

/** The queries this build of bench/flink has a variant of for `api` ([] for SQL when it has no SqlQueries class). */
export function flinkQueries(classpath: string, api: FlinkApi): string[] {
  return JSON.parse(java(classpath, undefined, ['--api', api, '--list-queries', 'true']).trim()) as string[];
}

/** Events 0 to count - 1 as the Java generator makes them, one JSON line each (to compare with generator.ts). */
export function flinkEvents(classpath: string, count: number, seed: number): string[] {
  const stdout = java(classpath, undefined, ['--print-events', String(count), '--seed', String(seed)]);
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * Runs Main with a fixed heap and otherwise the JVM's default options, on `cores` when given, and returns its stdout.
 * stderr is captured so that a failure can quote it, and passed on when the run succeeds (Flink's warnings).
 */
function java(classpath: string, cores: string | undefined, mainArgs: readonly string[]): string {
  const command = ['java', `-Xms${FLINK_HEAP}`, `-Xmx${FLINK_HEAP}`, '-cp', classpath, MAIN_CLASS, ...mainArgs];
  const [file, ...argv] = cores === undefined ? command : ['taskset', '-c', cores, ...command];
  const result = spawnSync(file!, argv, {
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

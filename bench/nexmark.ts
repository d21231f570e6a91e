import { fileURLToPath } from 'node:url';
import { runJob } from '../src/runtime/coordinator.ts';
import type { NexmarkParams } from './jobs/nexmark.ts';
import type { ChildRunner, Line } from './child-runner.ts';
import { buildFlink, flinkEvents, runFlink } from './nexmark/flink.ts';
import { nexmarkEvents } from './nexmark/generator.ts';
import { MarkCollector, type Mark } from './nexmark/marks.ts';
import { QUERY_NAMES, isQueryName } from './nexmark/queries.ts';

/**
 * The `nexmark` suite (issue 6): each query at each parallelism on weir (a child process, bench/jobs/nexmark.ts),
 * then on Flink (a JVM, bench/flink), measured the same way (bench/README.md), then a table of both with the ratio
 * of weir's rate to Flink's. Fails when the engines' result counts differ: then they did not do the same work.
 */
export const NEXMARK = 'nexmark';
export const NEXMARK_DEFAULT_EVENTS = 12_000_000;
export const NEXMARK_DEFAULT_WARMUP = 2_000_000;
const DEFAULT_SEED = 42;
/** Events whose JSON the two generators must agree on before anything is measured. */
const GENERATOR_CHECK_EVENTS = 2_000;

export interface NexmarkBenchOptions {
  readonly queries: readonly string[];
  readonly parallelisms: readonly number[];
  readonly events: number;
  readonly warmup: number;
  readonly seed?: number;
  /** Runs per engine and cell; the table shows the median run. */
  readonly repeat: number;
}

/** In the child process: one query on weir, measured from the marks its sources and sinks post. */
export async function measureNexmark(query: string, parallelism: number, events: number, warmup: number, seed: number): Promise<Line> {
  const marks = new MarkCollector();
  const params: NexmarkParams = { query, events, seed, measure: { warmup, parallelism } };
  await runJob({ jobModule: fileURLToPath(new URL('jobs/nexmark.ts', import.meta.url)), params, parallelism, logLevel: 'warn' });
  const { start, end, results } = measuredSpan(await marks.all(parallelism));
  // The whole process, start-up included, as the JVM's figures are.
  const cpu = process.cpuUsage();
  const measured = events - warmup;
  return {
    bench: `${NEXMARK}-${query}`,
    engine: 'weir',
    parallelism,
    events: measured,
    eventsPerSec: Math.round(measured / ((end - start) / 1000)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    results,
    totalEvents: events,
    warmupEvents: warmup,
    runningSeconds: Number(((end - start) / 1000).toFixed(3)),
  };
}

/** The measured span: from the last source subtask past the warm-up to the last sink subtask's end of input. */
function measuredSpan(marks: readonly Mark[]): { start: number; end: number; results: number } {
  let start = 0;
  let end = 0;
  let results = 0;
  for (const mark of marks) {
    if (mark.kind === 'warm') start = Math.max(start, mark.at);
    else {
      end = Math.max(end, mark.at);
      results += mark.results;
    }
  }
  return { start, end, results };
}

/** Both generators make the same first events, byte for byte (their JSON), or the comparison means nothing. */
function checkGenerators(classpath: string, seed: number): void {
  const java = flinkEvents(classpath, GENERATOR_CHECK_EVENTS, seed);
  const typescript = nexmarkEvents(GENERATOR_CHECK_EVENTS, seed).map((event) => JSON.stringify(event));
  const differs = typescript.findIndex((line, n) => java[n] !== line);
  if (differs !== -1 || java.length !== typescript.length) {
    const n = differs === -1 ? Math.min(java.length, typescript.length) : differs;
    throw new Error(`the Java and TypeScript Nexmark generators differ at event ${n}:\n  java: ${java[n]}\n  ts:   ${typescript[n]}`);
  }
}

const thousands = (value: unknown): string => (typeof value === 'number' ? value.toLocaleString('en-US') : String(value));

function table(rows: readonly { weir: Line; flink: Line }[]): string {
  const head = '| query | p | events | weir events/s | Flink events/s | weir/Flink | weir CPU s | Flink CPU s | weir peak RSS MB | Flink peak RSS MB | results (both) |';
  const rule = `|${' --- |'.repeat(11)}`;
  const lines = rows.map(({ weir, flink }) => {
    const ratio = (weir.eventsPerSec as number) / (flink.eventsPerSec as number);
    const query = String(weir.bench).slice(NEXMARK.length + 1);
    return `| ${query} | ${weir.parallelism} | ${thousands(weir.events)} | ${thousands(weir.eventsPerSec)} | ${thousands(flink.eventsPerSec)} | ${ratio.toFixed(2)} | ${weir.cpuSeconds} | ${flink.cpuSeconds} | ${weir.peakRssMb} | ${flink.peakRssMb} | ${thousands(weir.results)} |`;
  });
  return [head, rule, ...lines].join('\n');
}

/** The run with the median rate of a cell's runs (its CPU and RSS come with it). */
function medianRun(runs: readonly Line[]): Line {
  return [...runs].sort((a, b) => (a.eventsPerSec as number) - (b.eventsPerSec as number))[Math.floor(runs.length / 2)]!;
}

/** The driver; returns the exit code. */
export function runNexmarkBench(options: NexmarkBenchOptions, child: ChildRunner): number {
  const unknown = options.queries.filter((query) => !isQueryName(query));
  if (unknown.length > 0) {
    process.stderr.write(`unknown Nexmark queries: ${unknown.join(', ')} (known: ${QUERY_NAMES.join(', ')})\n`);
    return 2;
  }
  if (!(options.warmup >= 0 && options.warmup < options.events)) {
    process.stderr.write(`--warmup must be at least 0 and below --events (got ${options.warmup} of ${options.events})\n`);
    return 2;
  }
  const seed = options.seed ?? DEFAULT_SEED;
  const classpath = buildFlink();
  checkGenerators(classpath, seed);
  const cells = new Map<string, { weir: Line[]; flink: Line[] }>();
  const mismatches: string[] = [];
  // Rounds go over every cell before the next begins, so that a slow spell of the machine falls on all of them.
  for (let round = 0; round < options.repeat; round++) {
    for (const query of options.queries) {
      for (const parallelism of options.parallelisms) {
        const args = { query, parallelism, events: options.events, warmup: options.warmup, seed };
        const weir = child([NEXMARK, query, String(parallelism), String(options.events), String(options.warmup), String(seed)]);
        if (weir === undefined) return 1;
        process.stdout.write(`${JSON.stringify(weir)}\n`);
        const flink = runFlink(classpath, args);
        process.stdout.write(`${JSON.stringify(flink)}\n`);
        const key = `${query} p${parallelism}`;
        const cell = cells.get(key) ?? { weir: [], flink: [] };
        cell.weir.push(weir);
        cell.flink.push(flink);
        cells.set(key, cell);
        if (weir.results !== flink.results) mismatches.push(`${key}: weir ${String(weir.results)}, Flink ${String(flink.results)}`);
      }
    }
  }
  const rows = [...cells.values()].map(({ weir, flink }) => ({ weir: medianRun(weir), flink: medianRun(flink) }));
  process.stdout.write(`\n${options.repeat > 1 ? `Medians of ${options.repeat} runs per engine and cell:\n` : ''}${table(rows)}\n`);
  if (mismatches.length > 0) {
    process.stderr.write(`the engines' result counts differ, so they did not do the same work:\n  ${mismatches.join('\n  ')}\n`);
    return 1;
  }
  return 0;
}

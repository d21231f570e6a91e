import { fileURLToPath } from 'node:url';
import { runJob } from '../../src/runtime/coordinator.ts';
import type { Line } from '../child-runner.ts';
import type { NexmarkParams } from '../jobs/nexmark.ts';
import { MarkCollector, peakRssBytes, type Mark } from './marks.ts';
import { combineDigests, digestHex } from './result-digest.ts';

/**
 * In the child process: one query on weir, measured from the marks its sources and sinks post (bench/README.md,
 * "What is measured"). The JSON line has the same fields as bench/flink Main's.
 */
export interface WeirRun {
  readonly query: string;
  readonly parallelism: number;
  readonly events: number;
  readonly warmup: number;
  readonly seed: number;
  /** A verification run: the sinks hash every result, and the line carries `resultHash`. */
  readonly hash: boolean;
}

const MB = 1024 * 1024;

export async function measureNexmark(run: WeirRun): Promise<Line> {
  const { query, parallelism, events, warmup, seed, hash } = run;
  const marks = new MarkCollector();
  const params: NexmarkParams = { query, events, seed, hash, measure: { warmup, parallelism } };
  await runJob({ jobModule: fileURLToPath(new URL('../jobs/nexmark.ts', import.meta.url)), params, parallelism, logLevel: 'warn' });
  const span = measuredSpan(await marks.all(parallelism));
  const cpu = process.cpuUsage();
  const measured = events - warmup;
  const spanCpuSeconds = (span.end.cpuMicros - span.start.cpuMicros) / 1e6;
  const elapsedMs = span.end.at - span.start.at;
  const peak = peakRssBytes() ?? process.resourceUsage().maxRSS * 1024;
  return {
    bench: `nexmark-${query}`,
    engine: 'weir',
    parallelism,
    events: measured,
    eventsPerSec: Math.round(measured / (elapsedMs / 1000)),
    eventsPerCpuSecond: Math.round(measured / spanCpuSeconds),
    spanCpuSeconds: Number(spanCpuSeconds.toFixed(3)),
    cpuAtStartSeconds: Number((span.start.cpuMicros / 1e6).toFixed(3)),
    cpuAtEndSeconds: Number((span.end.cpuMicros / 1e6).toFixed(3)),
    // The whole process, start-up included.
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    rssAtStartMb: Math.round(span.start.rssBytes / MB),
    peakRssMb: Math.round(peak / MB),
    peakRssScope: span.start.peakReset ? 'span' : 'process',
    results: span.results,
    ...(span.digest === undefined ? {} : { resultHash: span.digest }),
    totalEvents: events,
    warmupEvents: warmup,
    spanStartMs: span.start.at,
    spanEndMs: span.end.at,
    runningSeconds: Number((elapsedMs / 1000).toFixed(3)),
  };
}

type Warm = Extract<Mark, { kind: 'warm' }>;
type Done = Extract<Mark, { kind: 'done' }>;

/** The measured span: from the last source subtask past the warm-up to the last sink subtask's end of input. */
function measuredSpan(marks: readonly Mark[]): { start: Warm; end: Done; results: number; digest?: string } {
  let start: Warm | undefined;
  let end: Done | undefined;
  let results = 0;
  let digest: bigint | undefined;
  for (const mark of marks) {
    if (mark.kind === 'warm') {
      if (start === undefined || mark.at > start.at) start = mark;
    } else {
      if (end === undefined || mark.at > end.at) end = mark;
      results += mark.results;
      if (mark.digest !== undefined) digest = combineDigests(digest ?? 0n, BigInt(`0x${mark.digest}`));
    }
  }
  if (start === undefined || end === undefined) throw new Error(`a Nexmark run without marks of both kinds: ${JSON.stringify(marks)}`);
  return { start, end, results, ...(digest === undefined ? {} : { digest: digestHex(digest) }) };
}

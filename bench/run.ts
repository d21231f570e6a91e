import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCheckpointStorage } from '../src/checkpoint/local-storage.ts';
import { runJob } from '../src/runtime/coordinator.ts';
import { dropKeptWorkerPool } from '../src/runtime/worker-pools.ts';
import { measureRecovery, measureSnapshots } from './checkpoint-state.ts';
import { KAFKA, KAFKA_DEFAULT_EVENTS, measureKafka, runKafkaBench } from './kafka.ts';
import { KAFKA_PRODUCE, KAFKA_PRODUCE_DEFAULT_EVENTS, runKafkaProduceBench } from './kafka-produce.ts';
import { measureMultiRegion, MULTI_REGION, MULTI_REGION_DEFAULT_FAILOVERS, MULTI_REGION_DEFAULT_RECORDS, MULTI_REGION_DEFAULT_REPEAT, runMultiRegionBench } from './multi-region.ts';
import { NEXMARK, NEXMARK_DEFAULT_REPEAT, runNexmarkBench } from './nexmark.ts';
import { measureNexmark } from './nexmark/measure.ts';
import { QUERY_NAMES } from './nexmark/queries.ts';

/**
 * `npm run bench -- <name>[,<name>...] [--events N] [--parallelism 1,2] [--repeat R]` runs benchmarks and prints one
 * JSON line per result (docs/architecture.md, Contracts); with --repeat, rounds interleave them and a median line per benchmark
 * ends. Each measurement runs in a child process, so peak RSS and CPU belong to that run alone.
 * `checkpoint` is a suite of its own (see runCheckpointBench), and so are `kafka` (bench/kafka.ts), `kafka-produce`
 * (bench/kafka-produce.ts), `multi-region` (bench/multi-region.ts: `--failovers F`) and `nexmark`
 * (bench/nexmark.ts, weir beside Flink: `--queries q0,q5 --warmup N --seed S --verify-events N --pin false`).
 */
interface Benchmark {
  readonly job: string;
  readonly defaultEvents: number;
  readonly params?: Record<string, unknown>;
  /** Parallelisms run when the command names none (default 1 and 2). */
  readonly defaultParallelism?: string;
}

const BENCHMARKS: Record<string, Benchmark> = {
  'stateless-chain': { job: 'jobs/stateless-chain.ts', defaultEvents: 100_000_000 },
  'keyed-count': { job: 'jobs/keyed-count.ts', defaultEvents: 20_000_000 },
  'window-count': { job: 'jobs/window-count.ts', defaultEvents: 20_000_000, params: { keys: 10_000 } },
  'window-count-1m-keys': { job: 'jobs/window-count.ts', defaultEvents: 20_000_000, params: { keys: 1_000_000 } },
  // One distinct key per event: 10M keys through one subtask's 100,000-entry cache (issue 3: peak RSS under 1 GiB).
  // At parallelism 2 each subtask has its own cache and LMDB environment; see bench/RESULTS.md for its RSS.
  'state-size': { job: 'jobs/state-size.ts', defaultEvents: 10_000_000, params: { cacheEntries: 100_000 }, defaultParallelism: '1' },
};

/**
 * The `checkpoint` suite: snapshot size and time at the state layer for each `--keys` count (1% of the keys changed
 * between a full and an incremental snapshot), recovery of the 1M-key chain, and keyed-count's rate with a checkpoint
 * every second against none (`--events`, `--parallelism`; with --repeat, that many interleaved pairs).
 */
const CHECKPOINT = 'checkpoint';
const CHECKPOINT_KEYS = '100000,1000000,10000000';
const RECOVERY_KEYS = 1_000_000;
const CHECKPOINT_INTERVAL_MS = 1_000;
const CHECKPOINT_JOB_ID = 'bench';
const RATIO_TARGET = 0.8;

const USAGE =
  'npm run bench -- <name>[,<name>...] [--events N] [--parallelism 1,2] [--repeat R] [--keys 100000,1000000 (checkpoint)] [--queries q0,q1 --warmup N --seed S --verify-events N --pin false (nexmark)] [--per-partition 250,1000,4000 (kafka-produce)] [--failovers F (multi-region)]';
const SUITES = [CHECKPOINT, KAFKA, KAFKA_PRODUCE, MULTI_REGION, NEXMARK];

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? undefined : args[at + 1];
}

/** One run of a job benchmark; with `checkpointIntervalMs`, checkpoints go to a temporary directory removed after. */
async function measureOnce(name: string, parallelism: number, events: number, checkpointIntervalMs?: number): Promise<Record<string, unknown>> {
  const bench = BENCHMARKS[name]!;
  const checkpointDir = checkpointIntervalMs === undefined ? undefined : mkdtempSync(join(tmpdir(), 'weir-bench-checkpoints-'));
  try {
    await dropKeptWorkerPool(); // every measured run starts its own threads
    const cpuBefore = process.cpuUsage();
    const result = await runJob({
      jobModule: fileURLToPath(new URL(bench.job, import.meta.url)),
      params: { events, ...bench.params, ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }) },
      parallelism,
      logLevel: 'warn',
      ...(checkpointDir === undefined ? {} : { checkpointDir, jobId: CHECKPOINT_JOB_ID }),
    });
    const cpu = process.cpuUsage(cpuBefore);
    const line: Record<string, unknown> = {
      bench: name,
      engine: 'weir',
      parallelism,
      events,
      eventsPerSec: Math.round(events / (result.runningMs / 1000)),
      cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      runningSeconds: Number((result.runningMs / 1000).toFixed(3)),
      ...bench.params,
    };
    if (checkpointDir !== undefined) {
      // Ids are given in order from 1: the newest completed id counts the checkpoints triggered up to it (aborted ones too).
      const storage = new LocalCheckpointStorage(checkpointDir, CHECKPOINT_JOB_ID);
      const retained = await storage.completed();
      const newest = retained[0] === undefined ? undefined : await storage.readMetadata(retained[0]);
      Object.assign(line, { checkpointIntervalMs, lastCompletedCheckpointId: newest?.checkpointId ?? 0, retainedCheckpoints: retained.length });
    }
    return line;
  } finally {
    if (checkpointDir !== undefined) rmSync(checkpointDir, { recursive: true, force: true });
  }
}

/** What `--child <what> ...` measures, in this process; returns its JSON lines. */
async function measureInChild(args: string[]): Promise<Record<string, unknown>[]> {
  const [what, a, b, c] = args;
  switch (what) {
    case 'checkpoint-snapshots':
      return [await measureSnapshots(Number(a), b!)];
    case 'checkpoint-recovery':
      return [await measureRecovery(a!)];
    case KAFKA:
      return [await measureKafka(a!)];
    case MULTI_REGION:
      return [await measureMultiRegion(a!)];
    case NEXMARK:
      return [await measureNexmark({ query: a!, parallelism: Number(b), events: Number(c), warmup: Number(args[4]), seed: Number(args[5]), hash: args[6] === 'hash' })];
    case 'checkpoint-throughput': {
      const interval = Number(c);
      const { bench: job, ...figures } = await measureOnce('keyed-count', Number(a), Number(b), interval > 0 ? interval : undefined);
      return [{ bench: CHECKPOINT, measure: interval > 0 ? 'with-checkpoints' : 'without-checkpoints', job, ...figures }];
    }
    default:
      return [await measureOnce(what!, Number(a), Number(b))];
  }
}

/**
 * Runs `--child ...` in a fresh process, on `cores` (`taskset -c`) when given, and echoes its output (unless told
 * not to); returns its last line, or undefined if it failed.
 */
function child(args: string[], echo = true, cores?: string): Record<string, unknown> | undefined {
  const command = [process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', ...args];
  const [file, ...argv] = cores === undefined ? command : ['taskset', '-c', cores, ...command];
  const run = spawnSync(file!, argv, {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (echo) process.stdout.write(run.stdout);
  if (run.status !== 0) return undefined;
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The `checkpoint` suite (see CHECKPOINT); returns the exit code. */
function runCheckpointBench(args: string[], repeat: number): number {
  // `--keys ''` skips the state-layer part.
  const keyCounts = (flag(args, 'keys') ?? CHECKPOINT_KEYS).split(',').filter((keys) => keys !== '').map(Number);
  for (const keys of keyCounts) {
    // The snapshots and the restore run in separate processes and share this directory (LMDB files, checkpoint files).
    const dir = mkdtempSync(join(tmpdir(), 'weir-bench-checkpoint-'));
    try {
      if (child(['checkpoint-snapshots', String(keys), dir]) === undefined) return 1;
      if (keys === RECOVERY_KEYS && child(['checkpoint-recovery', dir]) === undefined) return 1;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const events = Number(flag(args, 'events') ?? 20_000_000);
  for (const parallelism of (flag(args, 'parallelism') ?? '2').split(',').map(Number)) {
    const without: number[] = [];
    const withCheckpoints: number[] = [];
    // Pairs interleave, so that a slow spell of the machine falls on both sides.
    for (let round = 0; round < repeat; round++) {
      const base = child(['checkpoint-throughput', String(parallelism), String(events), '0']);
      const checked = child(['checkpoint-throughput', String(parallelism), String(events), String(CHECKPOINT_INTERVAL_MS)]);
      if (base === undefined || checked === undefined) return 1;
      without.push(base.eventsPerSec as number);
      withCheckpoints.push(checked.eventsPerSec as number);
    }
    const ratio = median(withCheckpoints) / median(without);
    const summary = {
      bench: CHECKPOINT,
      measure: 'throughput-ratio',
      parallelism,
      events,
      runs: repeat,
      withoutEventsPerSec: median(without),
      withEventsPerSec: median(withCheckpoints),
      ratio: Number(ratio.toFixed(3)),
      target: RATIO_TARGET,
      meetsTarget: ratio >= RATIO_TARGET,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  }
  return 0;
}

async function main(args: string[]): Promise<number> {
  if (args[0] === '--child') {
    for (const line of await measureInChild(args.slice(1))) process.stdout.write(`${JSON.stringify(line)}\n`);
    return 0;
  }
  const names = (args[0] ?? '').split(',').filter((name) => name !== '');
  const unknown = names.filter((name) => BENCHMARKS[name] === undefined && !SUITES.includes(name));
  if (names.length === 0 || unknown.length > 0) {
    process.stdout.write(`benchmarks: ${[...Object.keys(BENCHMARKS), ...SUITES].join(', ')}\nusage: ${USAGE}\n`);
    return names.length === 0 ? 0 : 2;
  }
  const repeat = Number(flag(args, 'repeat') ?? 1);
  const rates = new Map<string, number[]>();
  // Rounds interleave the benchmarks, so that a slow spell of a shared machine does not fall on one of them only.
  for (let round = 0; round < repeat; round++) {
    for (const name of names) {
      if (name === CHECKPOINT) {
        // Its own repeats interleave inside it; the state-layer figures are taken once.
        const status = round === 0 ? runCheckpointBench(args, repeat) : 0;
        if (status !== 0) return status;
        continue;
      }
      if (name === KAFKA) {
        // One broker and one prefilled topic for every round: its repeats interleave inside it.
        if (round > 0) continue;
        const status = await runKafkaBench(
          {
            events: Number(flag(args, 'events') ?? KAFKA_DEFAULT_EVENTS),
            parallelisms: (flag(args, 'parallelism') ?? '1,2').split(',').map(Number),
            repeat,
          },
          (childArgs) => child(childArgs, false),
        );
        if (status !== 0) return status;
        continue;
      }
      if (name === KAFKA_PRODUCE) {
        // Its repeats interleave inside it.
        if (round > 0) continue;
        const status = await runKafkaProduceBench({
          records: Number(flag(args, 'events') ?? KAFKA_PRODUCE_DEFAULT_EVENTS),
          perPartition: (flag(args, 'per-partition') ?? '250,1000,4000').split(',').map(Number),
          repeat,
        });
        if (status !== 0) return status;
        continue;
      }
      if (name === MULTI_REGION) {
        // Two clusters and the prefilled ratings for every round: its repeats interleave inside it.
        if (round > 0) continue;
        const status = await runMultiRegionBench(
          {
            records: Number(flag(args, 'events') ?? MULTI_REGION_DEFAULT_RECORDS),
            parallelisms: (flag(args, 'parallelism') ?? '2').split(',').map(Number),
            repeat: Number(flag(args, 'repeat') ?? MULTI_REGION_DEFAULT_REPEAT),
            failovers: Number(flag(args, 'failovers') ?? MULTI_REGION_DEFAULT_FAILOVERS),
          },
          (childArgs) => child(childArgs, false),
        );
        if (status !== 0) return status;
        continue;
      }
      if (name === NEXMARK) {
        // Its repeats interleave inside it.
        if (round > 0) continue;
        const number = (name: string): { [key: string]: number } => (flag(args, name) === undefined ? {} : { [name]: Number(flag(args, name)) });
        const status = runNexmarkBench(
          {
            repeat: Number(flag(args, 'repeat') ?? NEXMARK_DEFAULT_REPEAT),
            queries: (flag(args, 'queries') ?? QUERY_NAMES.join(',')).split(','),
            parallelisms: (flag(args, 'parallelism') ?? '1,2').split(',').map(Number),
            ...number('events'),
            ...number('warmup'),
            ...number('seed'),
            ...(flag(args, 'verify-events') === undefined ? {} : { verifyEvents: Number(flag(args, 'verify-events')) }),
            pin: flag(args, 'pin') !== 'false',
          },
          (childArgs, cores) => child(childArgs, false, cores),
        );
        if (status !== 0) return status;
        continue;
      }
      const events = Number(flag(args, 'events') ?? BENCHMARKS[name]!.defaultEvents);
      const parallelisms = (flag(args, 'parallelism') ?? BENCHMARKS[name]!.defaultParallelism ?? '1,2').split(',').map(Number);
      for (const parallelism of parallelisms) {
        const line = child([name, String(parallelism), String(events)]);
        if (line === undefined) return 1;
        const key = `${name} p${parallelism}`;
        rates.set(key, [...(rates.get(key) ?? []), line.eventsPerSec as number]);
      }
    }
  }
  if (repeat > 1) {
    for (const [key, values] of rates) {
      const sorted = [...values].sort((a, b) => a - b);
      process.stdout.write(`${JSON.stringify({ summary: key, runs: values.length, medianEventsPerSec: median(values), minEventsPerSec: sorted[0], maxEventsPerSec: sorted.at(-1) })}\n`);
    }
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

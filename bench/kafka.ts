import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokerPid, createTopic, startClusters, stopClusters, type Cluster } from '../scripts/kafka-broker.ts';
import { LocalCheckpointStorage } from '../src/checkpoint/local-storage.ts';
import { BROKERS_VARIABLE } from '../src/connectors/kafka/client/index.ts';
import { runJob } from '../src/runtime/coordinator.ts';
import type { KafkaCountParams } from './jobs/kafka-count.ts';
import { runRaw } from './kafka-raw.ts';
import { countOutput, prefill } from './kafka-topics.ts';
import type { ChildRunner, Line } from './child-runner.ts';

/**
 * The `kafka` suite (issue 5): on one local broker (started here unless KAFKA_BROKERS is set), one prefilled input
 * topic is read by a plain kafkajs consume-count-produce loop (the raw rate, bench/kafka-raw.ts) and by weir's
 * Kafka source -> keyBy -> running count -> KafkaSink job (bench/jobs/kafka-count.ts), at-least-once and exactly-once,
 * checkpointing every second. Every measurement runs in a child process and writes to a fresh output topic, which is
 * then read back (read_committed) and counted. Weir lines carry their ratio to the raw rate of the same round.
 */
export const KAFKA = 'kafka';
export const KAFKA_DEFAULT_EVENTS = 1_000_000;
const PARTITIONS = 4;
const USERS = 10_000;
const CHECKPOINT_INTERVAL_MS = 1_000;
const JOB_ID = 'bench-kafka';
/** kafkajs partitionsConsumedConcurrently for the raw loop: see bench/RESULTS.md for why this value. */
const RAW_CONCURRENCY = 1;
/** Records per sendBatch in the raw loop (see RawSpec.chunk). */
const RAW_CHUNK = 2_000;
const TARGETS = { 'at-least-once': 0.8, 'exactly-once': 0.6 } as const;

type Mode = 'raw' | keyof typeof TARGETS;
const WEIR_MODES = Object.keys(TARGETS) as (keyof typeof TARGETS)[];

/** What a child measures; passed as one JSON argument. */
interface KafkaChildSpec {
  readonly mode: Mode;
  readonly brokers: string;
  readonly input: string;
  readonly output: string;
  readonly groupId: string;
  readonly parallelism: number;
  readonly events: number;
}

export interface KafkaBenchOptions {
  readonly events: number;
  readonly parallelisms: readonly number[];
  readonly repeat: number;
}


const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** In the child process: one measurement (spec as JSON), without the figures the driver adds after reading the output. */
export async function measureKafka(specJson: string): Promise<Line> {
  const spec = JSON.parse(specJson) as KafkaChildSpec;
  const cpuBefore = process.cpuUsage();
  let runningMs: number;
  const extra: Line = {};
  if (spec.mode === 'raw') {
    const raw = await runRaw({ ...spec, concurrency: RAW_CONCURRENCY, chunk: RAW_CHUNK });
    if (raw.records !== spec.events) throw new Error(`the raw loop consumed ${raw.records} records, not ${spec.events}`);
    runningMs = raw.runningMs;
    Object.assign(extra, { partitionsConsumedConcurrently: RAW_CONCURRENCY, sendBatchRecords: RAW_CHUNK });
  } else {
    const checkpointDir = mkdtempSync(join(tmpdir(), 'weir-bench-kafka-checkpoints-'));
    try {
      const params: KafkaCountParams = { ...spec, checkpointIntervalMs: CHECKPOINT_INTERVAL_MS, exactlyOnce: spec.mode === 'exactly-once' };
      const result = await runJob({
        jobModule: fileURLToPath(new URL('jobs/kafka-count.ts', import.meta.url)),
        params,
        parallelism: spec.parallelism,
        logLevel: 'warn',
        checkpointDir,
        jobId: JOB_ID,
      });
      runningMs = result.runningMs;
      const storage = new LocalCheckpointStorage(checkpointDir, JOB_ID);
      const newest = (await storage.completed())[0];
      Object.assign(extra, {
        checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
        lastCompletedCheckpointId: newest === undefined ? 0 : (await storage.readMetadata(newest)).checkpointId,
        restarts: result.restarts,
      });
    } finally {
      rmSync(checkpointDir, { recursive: true, force: true });
    }
  }
  const cpu = process.cpuUsage(cpuBefore);
  return {
    bench: KAFKA,
    engine: spec.mode === 'raw' ? 'kafkajs' : 'weir',
    mode: spec.mode,
    parallelism: spec.mode === 'raw' ? 1 : spec.parallelism,
    events: spec.events,
    eventsPerSec: Math.round(spec.events / (runningMs / 1000)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    runningSeconds: Number((runningMs / 1000).toFixed(3)),
    ...extra,
  };
}

/** CPU seconds the broker JVM has used so far (Linux /proc; USER_HZ is 100 on Linux), if it is ours and alive. */
function brokerCpuSeconds(cluster: Cluster | undefined): number | undefined {
  const pid = cluster === undefined ? undefined : brokerPid(cluster);
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The driver: returns the exit code (1 when any measurement failed; the others still run and print). */
export async function runKafkaBench(options: KafkaBenchOptions, child: ChildRunner): Promise<number> {
  const external = process.env[BROKERS_VARIABLE];
  const clusters = external ? [] : await startClusters(1, { ownerPid: process.pid });
  const brokers = external ?? clusters[0]!.address;
  const run = `bench-kafka-${Date.now().toString(36)}`;
  const input = `${run}-input`;
  let status = 0;
  try {
    const started = performance.now();
    await createTopic(brokers.split(','), input, PARTITIONS);
    await prefill(brokers, input, options.events, USERS);
    process.stderr.write(`[bench kafka] broker ${brokers}; ${options.events} records prefilled into ${input} (${PARTITIONS} partitions) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    const rates = new Map<string, { rates: number[]; ratios: number[] }>();
    for (let round = 0; round < options.repeat; round++) {
      const measure = async (mode: Mode, parallelism: number): Promise<Line> => {
        const name = `${run}-r${round}-${mode}-p${parallelism}`;
        const spec: KafkaChildSpec = { mode, brokers, input, output: `${name}-output`, groupId: name, parallelism, events: options.events };
        await createTopic(brokers.split(','), spec.output, PARTITIONS);
        const brokerBefore = brokerCpuSeconds(clusters[0]);
        const line = child(['kafka', JSON.stringify(spec)]);
        const brokerAfter = brokerCpuSeconds(clusters[0]);
        if (line === undefined) {
          status = 1;
          return { bench: KAFKA, engine: mode === 'raw' ? 'kafkajs' : 'weir', mode, parallelism, events: options.events, error: `the ${mode} run failed: its error is on stderr above` };
        }
        if (brokerBefore !== undefined && brokerAfter !== undefined) line['brokerCpuSeconds'] = Number((brokerAfter - brokerBefore).toFixed(2));
        Object.assign(line, await countOutput(brokers, spec.output));
        return line;
      };
      const raw = await measure('raw', 1);
      process.stdout.write(`${JSON.stringify(raw)}\n`);
      const rawRate = typeof raw['eventsPerSec'] === 'number' ? raw['eventsPerSec'] : undefined;
      for (const parallelism of options.parallelisms) {
        for (const mode of WEIR_MODES) {
          const line = await measure(mode, parallelism);
          if (typeof line['eventsPerSec'] === 'number' && rawRate !== undefined) {
            const ratio = line['eventsPerSec'] / rawRate;
            Object.assign(line, { ratioToRaw: Number(ratio.toFixed(3)), target: TARGETS[mode], meetsTarget: ratio >= TARGETS[mode] });
            const key = `${mode} p${parallelism}`;
            const seen = rates.get(key) ?? { rates: [], ratios: [] };
            seen.rates.push(line['eventsPerSec']);
            seen.ratios.push(ratio);
            rates.set(key, seen);
          }
          process.stdout.write(`${JSON.stringify(line)}\n`);
        }
      }
    }
    if (options.repeat > 1) {
      for (const [key, seen] of rates) {
        const ratio = median(seen.ratios);
        process.stdout.write(`${JSON.stringify({ summary: `kafka ${key}`, runs: seen.rates.length, medianEventsPerSec: median(seen.rates), medianRatioToRaw: Number(ratio.toFixed(3)) })}\n`);
      }
    }
  } finally {
    await stopClusters(clusters);
  }
  return status;
}

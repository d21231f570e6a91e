import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokerPid, createTopic, startClusters, stopClusters, type Cluster } from '../src/testing/kafka/broker.ts';
import { LocalCheckpointStorage } from '../src/checkpoint/local-storage.ts';
import { BROKERS_VARIABLE } from '../src/connectors/kafka/client/index.ts';
import { runJob } from '../src/runtime/coordinator.ts';
import { dropKeptWorkerPool } from '../src/runtime/worker-pools.ts';
import type { KafkaCountParams } from './jobs/kafka-count.ts';
import { runRaw } from './kafka-raw.ts';
import { KafkaRounds, ratioLine, type Mode } from './kafka-summary.ts';
import { buildKafkaStreams, KAFKA_STREAMS_JVM_OPTIONS, runKafkaStreams } from './kafka-streams.ts';
import { countOutput, expectedOutputDigest, prefill, waitForGroupCoordinator } from './kafka-topics.ts';
import type { ChildRunner, Line } from './child-runner.ts';

/**
 * The `kafka` suite (issues 5 and 14; bench/README.md, "Kafka, weir beside Kafka Streams"): on one local broker
 * (started here unless KAFKA_BROKERS is set), one prefilled input topic is read by weir's Kafka source -> keyBy ->
 * running count -> KafkaSink job (bench/jobs/kafka-count.ts) and by the same job on Kafka Streams
 * (bench/kafka-streams), at-least-once and exactly-once, committing every second, at parallelism (stream threads) 1
 * and 2; a plain kafkajs consume-count-produce loop (bench/kafka-raw.ts) runs once a round as context. Every run
 * writes to a fresh output topic whose records carry the broker's append time; the topic is read back after the run
 * (read_committed), checked against the one right output, and timed from its first to its last record.
 */
export const KAFKA = 'kafka';
export const KAFKA_DEFAULT_EVENTS = 1_000_000;
const PARTITIONS = 4;
const USERS = 10_000;
/** weir's checkpoint interval and Kafka Streams' commit.interval.ms. */
const COMMIT_INTERVAL_MS = 1_000;
const JOB_ID = 'bench-kafka';
/** kafkajs partitionsConsumedConcurrently for the raw loop: see bench/RESULTS.md for why this value. */
const RAW_CONCURRENCY = 1;
/** Records per sendBatch in the raw loop (see RawSpec.chunk). */
const RAW_CHUNK = 2_000;
const MODES: readonly Mode[] = ['at-least-once', 'exactly-once'];
/** The broker stamps each output record with its append time: both engines are timed by the same clock. */
const OUTPUT_TOPIC_CONFIG = { 'message.timestamp.type': 'LogAppendTime' };
const KAFKA_STREAMS_TIMEOUT_MS = 600_000;

/** What a child measures; passed as one JSON argument. */
interface KafkaChildSpec {
  readonly mode: 'raw' | Mode;
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
      const params: KafkaCountParams = { ...spec, checkpointIntervalMs: COMMIT_INTERVAL_MS, exactlyOnce: spec.mode === 'exactly-once' };
      await dropKeptWorkerPool(); // every measured run starts its own threads
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
        checkpointIntervalMs: COMMIT_INTERVAL_MS,
        lastCompletedCheckpointId: newest === undefined ? 0 : (await storage.readMetadata(newest)).checkpointId,
        restarts: result.restarts,
      });
    } finally {
      rmSync(checkpointDir, { recursive: true, force: true });
    }
  }
  const cpu = process.cpuUsage(cpuBefore);
  return {
    engine: spec.mode === 'raw' ? 'kafkajs' : 'weir',
    runningSeconds: Number((runningMs / 1000).toFixed(3)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...extra,
  };
}

/** CPU seconds the broker JVM has used so far (Linux /proc; USER_HZ is 100 on Linux), if it is ours and alive. */
export function brokerCpuSeconds(cluster: Cluster | undefined): number | undefined {
  const pid = cluster === undefined ? undefined : brokerPid(cluster);
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The driver: returns the exit code (1 when any measurement failed or wrote a wrong output; the others still run and print). */
export async function runKafkaBench(options: KafkaBenchOptions, child: ChildRunner): Promise<number> {
  // Built first: a missing JDK or Maven fails the command before a broker starts.
  const streamsClasspath = buildKafkaStreams();
  const external = process.env[BROKERS_VARIABLE];
  const clusters = external ? [] : await startClusters(1, { ownerPid: process.pid, tuning: 'throughput' });
  const brokers = external ?? clusters[0]!.address;
  const run = `bench-kafka-${Date.now().toString(36)}`;
  const input = `${run}-input`;
  const expectedDigest = expectedOutputDigest(options.events, USERS);
  const rounds = new KafkaRounds();
  let status = 0;
  const print = (line: Line): void => {
    rounds.add(line);
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  try {
    const started = performance.now();
    await createTopic(brokers.split(','), input, PARTITIONS);
    await prefill(brokers, input, options.events, USERS);
    await waitForGroupCoordinator(brokers, input);
    process.stderr.write(`[bench kafka] broker ${brokers}; ${options.events} records prefilled into ${input} (${PARTITIONS} partitions) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    for (let round = 0; round < options.repeat; round++) {
      /** One run: `runs` returns the engine's own figures or throws; the driver adds the broker's and the output's. */
      const measure = async (engine: string, mode: 'raw' | Mode, parallelism: number, runs: (output: string, name: string) => Line | undefined): Promise<Line> => {
        const name = `${run}-r${round}-${engine}-${mode}-p${parallelism}`;
        const output = `${name}-output`;
        const line: Line = { bench: KAFKA, engine, mode, parallelism, round, events: options.events };
        await createTopic(brokers.split(','), output, PARTITIONS, OUTPUT_TOPIC_CONFIG);
        const brokerBefore = brokerCpuSeconds(clusters[0]);
        let figures: Line | undefined;
        try {
          figures = runs(output, name);
          if (figures === undefined) throw new Error(`the ${engine} ${mode} run failed: its error is on stderr above`);
        } catch (error) {
          status = 1;
          return { ...line, error: error instanceof Error ? error.message : String(error) };
        }
        const brokerAfter = brokerCpuSeconds(clusters[0]);
        Object.assign(line, figures);
        if (brokerBefore !== undefined && brokerAfter !== undefined) line['brokerCpuSeconds'] = Number((brokerAfter - brokerBefore).toFixed(2));
        const { firstAppendMs, lastAppendMs, ...counted } = await countOutput(brokers, output);
        const appendSeconds = firstAppendMs === undefined || lastAppendMs === undefined ? 0 : (lastAppendMs - firstAppendMs) / 1000;
        const correct = counted.outputRecords === options.events && counted.finalCountTotal === options.events && counted.outputDigest === expectedDigest;
        if (!correct) {
          status = 1;
          process.stderr.write(`[bench kafka] ${name} wrote a wrong output (${JSON.stringify(counted)}; expected ${options.events} records, digest ${expectedDigest}): left out of the medians\n`);
        }
        const cpuSeconds = line['cpuSeconds'] as number;
        return {
          ...line,
          eventsPerSec: appendSeconds > 0 ? Math.round(options.events / appendSeconds) : undefined,
          wallEventsPerSec: Math.round(options.events / (line['runningSeconds'] as number)),
          appendSeconds,
          cpuSecondsPerMillionRecords: Number(((cpuSeconds / options.events) * 1e6).toFixed(2)),
          ...counted,
          correctOutput: correct,
        };
      };
      const weir = (mode: Mode, parallelism: number): Promise<Line> =>
        measure('weir', mode, parallelism, (output, groupId) =>
          child(['kafka', JSON.stringify({ mode, brokers, input, output, groupId, parallelism, events: options.events } satisfies KafkaChildSpec)]),
        );
      const streams = (mode: Mode, parallelism: number): Promise<Line> =>
        measure('kafka-streams', mode, parallelism, (output, applicationId) => ({
          ...runKafkaStreams(streamsClasspath, { brokers, input, output, applicationId, mode, parallelism, events: options.events, commitIntervalMs: COMMIT_INTERVAL_MS, timeoutMs: KAFKA_STREAMS_TIMEOUT_MS }),
          commitIntervalMs: COMMIT_INTERVAL_MS,
          jvmOptions: KAFKA_STREAMS_JVM_OPTIONS.join(' '),
        }));
      print(
        await measure('kafkajs', 'raw', 1, (output, groupId) =>
          child(['kafka', JSON.stringify({ mode: 'raw', brokers, input, output, groupId, parallelism: 1, events: options.events } satisfies KafkaChildSpec)]),
        ),
      );
      for (const parallelism of options.parallelisms) {
        for (const mode of MODES) {
          // The order alternates between rounds, so that neither engine always runs on a broker the other just loaded.
          const weirFirst = round % 2 === 0;
          const first = await (weirFirst ? weir : streams)(mode, parallelism);
          print(first);
          const second = await (weirFirst ? streams : weir)(mode, parallelism);
          print(second);
          const ratio = ratioLine(round, mode, parallelism, weirFirst ? first : second, weirFirst ? second : first);
          if (ratio !== undefined) print(ratio);
        }
      }
    }
    for (const summary of rounds.summaries(MODES, options.parallelisms)) process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await stopClusters(clusters);
  }
  return status;
}

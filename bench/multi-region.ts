import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WindowScore } from '../examples/feedback-scores-multi-region.ts';
import { createTopic, startClusters, stopClusters, type Cluster } from '../src/testing/kafka/broker.ts';
import { clusterId, localMetadata, onEvery, writeMetadataFile } from '../scripts/kafka-metadata.ts';
import { runJob } from '../src/runtime/coordinator.ts';
import { dropKeptWorkerPool } from '../src/runtime/worker-pools.ts';
import type { ChildRunner, Line } from './child-runner.ts';
import { brokerCpuSeconds } from './kafka.ts';
import { median } from './kafka-summary.ts';
import { measureFailover } from './multi-region-failover.ts';
import { expectedTotals, ratingMessage, scoresProblem } from './multi-region-ratings.ts';
import { produceAll, readCommitted, waitForGroupCoordinator } from './kafka-topics.ts';

/**
 * The `multi-region` suite (issue 15; bench/README.md, "Multi-region Kafka"): examples/feedback-scores-multi-region.ts
 * itself, on two local clusters started here.
 * - Throughput: the example reads N prefilled ratings (bounded) and writes its window scores, over one cluster (every
 *   rating on us-east, the scores to us-east) and over two (the ratings split by answer id, even ones on us-east, odd
 *   ones on eu-west, as two regions' users would write them; the scores in failover mode to [us-east, eu-west]).
 *   records/s and records per CPU-second of the job's process; every run's scores are read back and checked.
 * - Failover: bench/multi-region-failover.ts, from a kill of the scores' primary cluster to the first epoch of
 *   scores committed on the other.
 */
export const MULTI_REGION = 'multi-region';
export const MULTI_REGION_DEFAULT_RECORDS = 1_000_000;
export const MULTI_REGION_DEFAULT_FAILOVERS = 3;
/** Throughput rounds (each one run per layout and parallelism) when the command gives no --repeat. */
export const MULTI_REGION_DEFAULT_REPEAT = 3;
const EXAMPLE = fileURLToPath(new URL('../examples/feedback-scores-multi-region.ts', import.meta.url));
const PARTITIONS = 4;
const CLUSTERS = 2;

export interface MultiRegionBenchOptions {
  readonly records: number;
  readonly parallelisms: readonly number[];
  readonly repeat: number;
  readonly failovers: number;
}

/** What a child measures; passed as one JSON argument. */
interface ThroughputSpec {
  readonly metadataFile: string;
  readonly parallelism: number;
}

/** In the child process: one bounded run of the example over the clusters the metadata file names. */
export async function measureMultiRegion(specJson: string): Promise<Line> {
  const spec = JSON.parse(specJson) as ThroughputSpec;
  const cpuBefore = process.cpuUsage();
  // Checkpoints (the example's, every 2 s) go to a temporary directory of the run.
  await dropKeptWorkerPool(); // every measured run starts its own threads
  const result = await runJob({ jobModule: EXAMPLE, params: { clusters: spec.metadataFile, bounded: true }, parallelism: spec.parallelism, logLevel: 'warn' });
  const cpu = process.cpuUsage(cpuBefore);
  return {
    runningSeconds: Number((result.runningMs / 1000).toFixed(3)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    restarts: result.restarts,
    lateRecordsDropped: result.operators.reduce((sum, o) => sum + o.lateRecordsDropped, 0),
  };
}

const range = (values: readonly number[]): [number, number] => [Math.min(...values), Math.max(...values)];

/** The driver: returns the exit code (1 when a run failed or wrote wrong scores; the others still run and print). */
export async function runMultiRegionBench(options: MultiRegionBenchOptions, child: ChildRunner): Promise<number> {
  const clusters = await startClusters(CLUSTERS, { ownerPid: process.pid, tuning: 'throughput' });
  const dir = mkdtempSync(join(tmpdir(), 'weir-bench-multi-region-'));
  const run = `bench-mr-${Date.now().toString(36)}`;
  let status = 0;
  const print = (line: Line): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
  try {
    const started = performance.now();
    const [east, west] = clusters as [Cluster, Cluster];
    // One input topic per layout: all of it on us-east, or half on each cluster (same topic name: one stream).
    const whole = `${run}-ratings-whole`;
    const halves = `${run}-ratings-halves`;
    await createTopic([east.address], whole, PARTITIONS);
    for (const cluster of clusters) await createTopic([cluster.address], halves, PARTITIONS);
    const half = Math.ceil(options.records / 2);
    await Promise.all([
      produceAll(east.address, whole, options.records, ratingMessage),
      produceAll(east.address, halves, half, (i) => ratingMessage(2 * i)),
      produceAll(west.address, halves, options.records - half, (i) => ratingMessage(2 * i + 1)),
    ]);
    for (const cluster of clusters) await waitForGroupCoordinator(cluster.address, halves);
    process.stderr.write(`[bench multi-region] clusters ${clusters.map((c) => `${clusterId(c.index)} ${c.address}`).join(', ')}; ${options.records} ratings prefilled in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    const expected = expectedTotals(options.records);

    const rates = new Map<string, { perSec: number[]; perCpuSec: number[] }>();
    for (let round = 0; round < options.repeat; round++) {
      for (const parallelism of options.parallelisms) {
        // The order alternates between rounds, so that a slow spell of the machine does not fall on one layout only.
        for (const used of round % 2 === 0 ? [1, 2] : [2, 1]) {
          const on = clusters.slice(0, used);
          const scores = `${run}-r${round}-c${used}-p${parallelism}-scores`;
          for (const cluster of on) await createTopic([cluster.address], scores, PARTITIONS);
          const metadataFile = join(dir, `${scores}.json`);
          await writeMetadataFile(metadataFile, localMetadata(on, { ratings: onEvery(on, used === 1 ? whole : halves), scores: onEvery(on, scores) }));
          const line: Line = { bench: MULTI_REGION, measure: 'throughput', clusters: used, parallelism, round, records: options.records };
          const brokerBefore = clusters.map(brokerCpuSeconds);
          const figures = child([MULTI_REGION, JSON.stringify({ metadataFile, parallelism } satisfies ThroughputSpec)]);
          if (figures === undefined) {
            status = 1;
            print({ ...line, error: 'the run failed: its error is on stderr above' });
            continue;
          }
          const brokerCpu = clusters.map((cluster, i) => (brokerCpuSeconds(cluster) ?? Number.NaN) - (brokerBefore[i] ?? Number.NaN));
          const published: WindowScore[] = [];
          for (const cluster of on) await readCommitted(cluster.address, scores, (message) => void published.push(JSON.parse(message.value!.toString('utf8')) as WindowScore));
          // No rating of this input is late: a late drop is a fault of the run, never a result.
          const late = figures['lateRecordsDropped'] as number;
          const problem = late > 0 ? `${late} ratings dropped as late (none of this input is late)` : scoresProblem(expected, published);
          if (problem !== undefined) status = 1;
          const runningSeconds = figures['runningSeconds'] as number;
          const cpuSeconds = figures['cpuSeconds'] as number;
          const result: Line = {
            ...line,
            recordsPerSec: Math.round(options.records / runningSeconds),
            recordsPerCpuSecond: Math.round(options.records / cpuSeconds),
            ...figures,
            brokerCpuSeconds: brokerCpu.map((seconds) => Number(seconds.toFixed(2))),
            scores: published.length,
            // Every window once, with exactly its ratings' count and mean.
            correctOutput: problem === undefined,
            ...(problem === undefined ? {} : { problem }),
          };
          print(result);
          if (problem !== undefined) continue;
          const key = `${used} p${parallelism}`;
          const kept = rates.get(key) ?? { perSec: [], perCpuSec: [] };
          kept.perSec.push(result['recordsPerSec'] as number);
          kept.perCpuSec.push(result['recordsPerCpuSecond'] as number);
          rates.set(key, kept);
        }
      }
    }

    const failovers: Line[] = [];
    const parallelism = options.parallelisms.at(-1)!;
    for (let i = 0; i < options.failovers; i++) {
      const line = await measureFailover(clusters, `${run}-f${i}`, parallelism, (restarted) => (clusters[restarted.index] = restarted));
      if (line['error'] !== undefined) status = 1;
      print({ ...line, run: i });
      if (line['error'] === undefined) failovers.push(line);
    }

    for (const parallelism of options.parallelisms) {
      const one = rates.get(`1 p${parallelism}`);
      const two = rates.get(`2 p${parallelism}`);
      if (one === undefined || two === undefined) continue;
      print({
        summary: `${MULTI_REGION} throughput p${parallelism}`,
        runs: Math.min(one.perSec.length, two.perSec.length),
        oneClusterRecordsPerSec: median(one.perSec),
        oneClusterRange: range(one.perSec),
        twoClustersRecordsPerSec: median(two.perSec),
        twoClustersRange: range(two.perSec),
        twoOverOne: Number((median(two.perSec) / median(one.perSec)).toFixed(3)),
        oneClusterRecordsPerCpuSecond: median(one.perCpuSec),
        twoClustersRecordsPerCpuSecond: median(two.perCpuSec),
      });
    }
    if (failovers.length > 0) {
      const first = failovers.map((line) => line['firstEpochPublishedMs'] as number);
      const every = failovers.map((line) => line['everySubtaskPublishedMs'] as number);
      print({
        summary: `${MULTI_REGION} failover p${parallelism}`,
        runs: failovers.length,
        firstEpochPublishedMs: median(first),
        firstEpochRange: range(first),
        everySubtaskPublishedMs: median(every),
        everySubtaskRange: range(every),
      });
    }
  } finally {
    await stopClusters(clusters);
    rmSync(dir, { recursive: true, force: true });
  }
  return status;
}

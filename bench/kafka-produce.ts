import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTopic, startClusters, stopClusters } from '../src/testing/kafka/broker.ts';
import { BROKERS_VARIABLE } from '../src/connectors/kafka/client/index.ts';
import type { ProduceSpec } from './kafka-produce-child.ts';
import type { Line } from './child-runner.ts';

/**
 * The `kafka-produce` suite (issue 14, the producer path): produce throughput of one idempotent producer against the
 * number of records per partition in one send, plain kafkajs against weir's sink path (see bench/kafka-produce-child.ts
 * for both). `npm run bench -- kafka-produce --events N --per-partition 250,1000,4000 --repeat R`: rounds interleave
 * every cell; with --repeat above 1, a median line per cell ends, with weir's ratio to kafkajs.
 */
export const KAFKA_PRODUCE = 'kafka-produce';
export const KAFKA_PRODUCE_DEFAULT_EVENTS = 200_000;
const PARTITIONS = 4;
const PATHS = ['kafkajs', 'weir'] as const;

export interface KafkaProduceOptions {
  readonly records: number;
  readonly perPartition: readonly number[];
  readonly repeat: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function runKafkaProduceBench(options: KafkaProduceOptions): Promise<number> {
  const external = process.env[BROKERS_VARIABLE];
  const clusters = external ? [] : await startClusters(1, { ownerPid: process.pid, tuning: 'throughput' });
  const brokers = external ?? clusters[0]!.address;
  const run = `bench-produce-${Date.now().toString(36)}`;
  const rates = new Map<string, number[]>();
  let status = 0;
  try {
    for (let round = 0; round < options.repeat; round++) {
      for (const perPartition of options.perPartition) {
        for (const path of PATHS) {
          const topic = `${run}-r${round}-${path}-${perPartition}`;
          await createTopic(brokers.split(','), topic, PARTITIONS);
          const spec: ProduceSpec = { path, brokers, topic, partitions: PARTITIONS, records: options.records, perPartition };
          const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('kafka-produce-child.ts', import.meta.url)), JSON.stringify(spec)], {
            stdio: ['ignore', 'pipe', 'inherit'],
            encoding: 'utf8',
          });
          if (child.status !== 0) {
            status = 1;
            process.stdout.write(`${JSON.stringify({ bench: KAFKA_PRODUCE, path, perPartition, error: 'the run failed: its error is on stderr above' })}\n`);
            continue;
          }
          const line = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Line;
          process.stdout.write(`${JSON.stringify(line)}\n`);
          const key = `${path} ${perPartition}`;
          rates.set(key, [...(rates.get(key) ?? []), line['recordsPerSec'] as number]);
        }
      }
    }
    if (options.repeat > 1) {
      for (const perPartition of options.perPartition) {
        const kafkajs = rates.get(`kafkajs ${perPartition}`) ?? [];
        const weir = rates.get(`weir ${perPartition}`) ?? [];
        if (kafkajs.length === 0 || weir.length === 0) continue;
        const summary = {
          summary: `${KAFKA_PRODUCE} ${perPartition} records per partition per send`,
          runs: Math.min(kafkajs.length, weir.length),
          kafkajsMedianRecordsPerSec: median(kafkajs),
          weirMedianRecordsPerSec: median(weir),
          ratio: Number((median(weir) / median(kafkajs)).toFixed(2)),
        };
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      }
    }
  } finally {
    await stopClusters(clusters);
  }
  return status;
}

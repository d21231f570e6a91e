import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runJob } from '../../src/runtime/coordinator.ts';
import type { KafkaSourceLag } from '../../src/runtime/observation-types.ts';
import type { KafkaReaderParams } from '../fixtures/kafka-reader-job.ts';
import { createTopic, kafkaBrokers, produceRecords, uniqueTopic } from '../fixtures/kafka.ts';
import { workDirs } from '../fixtures/work-dirs.ts';

const JOB = fileURLToPath(new URL('../fixtures/kafka-reader-job.ts', import.meta.url));
const PER_PARTITION = [30, 20];
const dirs = workDirs('weir-kafka-lag-');

type LagAnswer = { lag: number; sources: KafkaSourceLag[] };

describe('GET /job/kafka-lag', () => {
  it("shows each partition's committed offset, log end offset and lag after a checkpoint's commit, and serves them as metrics", { timeout: 120_000 }, async () => {
    const brokers = kafkaBrokers();
    const input = uniqueTopic('lag');
    await createTopic(brokers, input, PER_PARTITION.length);
    const messages = PER_PARTITION.flatMap((count, partition) => Array.from({ length: count }, (_, n) => ({ partition, value: JSON.stringify({ user: `u${n % 3}`, n }) })));
    await produceRecords(brokers, input, messages);
    const params: KafkaReaderParams = { brokers: brokers.join(','), input, groupId: uniqueTopic('lag-group'), parallelism: 1 };
    let base: string | undefined;
    const stop = new AbortController();
    const running = runJob({
      jobModule: JOB,
      params,
      metricsPort: 0,
      savepointDir: join(dirs(), 'savepoints'),
      stopWithSavepoint: stop.signal,
      onStatus: (line) => (base ??= /^metrics at (http:\/\/[^/]+)\/metrics$/.exec(line)?.[1]),
    });
    let finished = false;
    void running.finally(() => (finished = true)).catch(() => {});
    let answer: LagAnswer | undefined;
    let metrics = '';
    const caughtUp = (lag: LagAnswer | undefined): boolean =>
      lag?.sources[0]?.partitions.length === PER_PARTITION.length && lag.sources[0].partitions.every((partition) => partition.committedOffset === PER_PARTITION[partition.partition]);
    try {
      const deadline = Date.now() + 60_000;
      while (!finished && Date.now() < deadline && !caughtUp(answer)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (base !== undefined) answer = (await fetch(`${base}/job/kafka-lag`).then((response) => response.json())) as LagAnswer;
      }
      metrics = await fetch(`${base}/metrics`).then((response) => response.text());
    } finally {
      stop.abort();
    }
    await running;
    expect(caughtUp(answer), JSON.stringify(answer)).toBe(true);
    const source = answer!.sources[0]!;
    expect(source).toMatchObject({ operator: expect.any(String), groupId: params.groupId, lag: 0 });
    expect(source.partitions.map(({ topic, partition, committedOffset, endOffset, lag, subtask }) => ({ topic, partition, committedOffset, endOffset, lag, subtask }))).toEqual(
      PER_PARTITION.map((count, partition) => ({ topic: input, partition, committedOffset: count, endOffset: count, lag: 0, subtask: 0 })),
    );
    for (const partition of source.partitions) {
      expect(partition.cluster).toBeUndefined();
      expect(partition.commitLatencyMs).toBeGreaterThan(0);
    }
    for (const partition of [0, 1]) {
      expect(metrics).toMatch(new RegExp(`^weir_kafka_consumer_lag_records\\{job="kafka-reader",operator="${source.operator}",cluster="",topic="${input}",partition="${partition}"\\} 0$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^weir_kafka_commit_latency_seconds\\{job="kafka-reader",operator="${source.operator}",cluster="",topic="${input}",partition="${partition}"\\} \\d`, 'm'));
    }
  });
});

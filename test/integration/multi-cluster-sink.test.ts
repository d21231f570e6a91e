/**
 * MultiClusterKafkaSink on two clusters of the run's pool: failover away from a paused (hung) primary and back, and
 * multiplex by key. Covered elsewhere, so not here: a killed primary (multi-cluster-outage.test.ts, for 60 s: failover
 * in time per sink subtask, no restart, failback, exactly once per cluster and in the union), and processes killed in
 * the commit gap with two clusters publishing (multi-region-faults.test.ts: a kill before and after a share's commit,
 * in both sink modes, beside outages).
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import { kafkaClient, uniqueTopic, useKafkaClusters } from '../fixtures/kafka-clusters.ts';
import type { MultiClusterSinkSpec, Numbered } from '../fixtures/multi-cluster-sink-job.ts';
import { decodeRecordId, RECORD_ID_HEADER, type RecordId } from '../../src/connectors/multi-region/record-id.ts';
import { retryingKafkaErrors } from '../../src/connectors/kafka/client/kafkajs/retry.ts';
import { sleep } from '../../src/core/signal.ts';

const JOB = fileURLToPath(new URL('../fixtures/multi-cluster-sink-job.ts', import.meta.url));
const PARTITIONS = 3;
/** Beyond a checkpoint interval plus the publish timeout: the checkpoint's completion and c1's first send, on 2 loaded cores. */
const FAILOVER_ALLOWANCE_MS = 1_500;

/** Two clusters of the run's pool, this file's alone while it runs: pausing the run's shared broker would break the other Kafka tests. */
const kafka = useKafkaClusters(2);

interface Received {
  readonly cluster: string;
  readonly partition: number;
  readonly value: Numbered;
  readonly id: RecordId;
  readonly timestamp: number;
}

/** What a read_committed reader of each cluster's topic sees, with each record's weir-id. */
async function readClusters(topic: string): Promise<Received[]> {
  const received: Received[] = [];
  for (const index of [0, 1]) {
    for (const { partition, value, headers, timestamp } of await kafka.readCommitted(index, topic, 60_000)) {
      const id = decodeRecordId(headers[RECORD_ID_HEADER]);
      if (id === undefined) throw new Error(`a record on cluster c${index} has no valid ${RECORD_ID_HEADER} header`);
      received.push({ cluster: `c${index}`, partition, value: JSON.parse(value!) as Numbered, id, timestamp });
    }
  }
  return received;
}

/** Resolves once the topic on the cluster holds a committed record. */
async function untilRecordsOn(index: number, topic: string, timeoutMs = 120_000): Promise<void> {
  const admin = kafkaClient(kafka.brokers(index)).admin();
  await admin.connect();
  try {
    for (const deadline = Date.now() + timeoutMs; ; await sleep(100)) {
      // Read_committed ends (a committed record moves them), retried while a new topic's leader settles.
      if ((await retryingKafkaErrors(() => admin.fetchTopicOffsets(topic))).some(({ high }) => Number(high) > 0)) return;
      if (Date.now() > deadline) throw new Error(`nothing published to ${topic} on ${kafka.brokers(index)[0]} in ${timeoutMs} ms`);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Per cluster no record twice; over both, after dropping a share's epoch seen on a second cluster, every record exactly once. */
function expectExactlyOncePerClusterAndInUnion(received: readonly Received[], records: number): void {
  for (const cluster of ['c0', 'c1']) {
    const ids = received.filter((record) => record.cluster === cluster).map((record) => record.value.id);
    expect(ids.length - new Set(ids).size, `records twice on ${cluster}`).toBe(0);
  }
  // What a weir multi-cluster source does: the first cluster that delivered (producer, share, epoch) keeps it.
  const owner = new Map<string, string>();
  const union: number[] = [];
  for (const record of received) {
    const epochKey = `${record.id.producer}|${record.id.share}|${record.id.epoch}`;
    const first = owner.get(epochKey) ?? record.cluster;
    owner.set(epochKey, first);
    if (first === record.cluster) union.push(record.value.id);
  }
  expect(union.length, 'records in the deduplicated union').toBe(records);
  expect(new Set(union).size).toBe(records);
}

function spec(topic: string, overrides: Partial<MultiClusterSinkSpec>): MultiClusterSinkSpec {
  return {
    clusters: [0, 1].map((index) => [`c${index}`, kafka.brokers(index)[0]!] as const),
    topic,
    mode: 'failover',
    records: 2_000,
    keys: 23,
    checkpointIntervalMs: 200,
    publishTimeoutMs: 2_000,
    healthCheckIntervalMs: 300,
    failbackAfterMs: 1_000,
    ...overrides,
  };
}

async function topicOnBoth(prefix: string): Promise<string> {
  const topic = uniqueTopic(prefix);
  await kafka.createTopic(topic, PARTITIONS);
  return topic;
}

describe('MultiClusterKafkaSink on two real clusters', () => {
  // Paused: the broker holds connections and answers nothing (a hung region).
  it(
    'failover: with the primary broker paused, later epochs go to the other cluster in time, without a restart; back to the primary after it returns; exactly once per cluster and in the union',
    { timeout: 300_000 },
    async () => {
      const topic = await topicOnBoth('mr-failover');
      const params = spec(topic, { records: 2_000, ratePerSecond: 150 });
      let pausedAt = 0;
      let resumedAt = 0;
      const outage = (async () => {
        // The outage begins once the job publishes on c0 (its start takes a while on a loaded machine).
        await untilRecordsOn(0, topic);
        const paused = await kafka.beginOutage(0, 'pause');
        pausedAt = Date.now();
        await sleep(4_000);
        // Returned at SIGCONT (the first thing end() does): the broker answers from then on.
        resumedAt = Date.now();
        await paused.end();
      })();
      // Awaited after the job; a failure meanwhile must not be an unhandled rejection.
      outage.catch(() => {});
      const result = await runJob({ jobModule: JOB, params, threads: 2, logLevel: 'warn' });
      await outage;
      expect(result.restarts, 'the job restarted').toBe(0);

      const received = await readClusters(topic);
      expectExactlyOncePerClusterAndInUnion(received, params.records);
      const onC1 = received.filter((record) => record.cluster === 'c1');
      expect(onC1.length, 'records failed over to c1').toBeGreaterThan(0);
      // Failover time, per sink subtask (producer): from the pause to its first record sent to c1 after it (CreateTime:
      // when the sink sent it). Done-when 2's bound is one checkpoint interval plus the failover timeout
      // (publishTimeoutMs: a publish on the paused c0 gives up after it); the allowance is the checkpoint's own
      // completion and the first send on c1, on this loaded machine. A subtask whose publish on c0 was slow before the
      // pause may already be on c1 (printed): its time is then short, as its output never stopped.
      const early = onC1.filter((record) => record.timestamp < pausedAt);
      if (early.length > 0) console.log(`on c1 before the pause (producer|share|epoch): ${[...new Set(early.map((record) => `${record.id.producer}|${record.id.share}|${record.id.epoch}`))].join(', ')}`);
      const producers = [...new Set(received.map((record) => record.id.producer))];
      expect(producers.length, 'sink subtasks seen').toBe(2);
      const boundMs = params.checkpointIntervalMs + params.publishTimeoutMs + FAILOVER_ALLOWANCE_MS;
      const failoverMs = producers.map((producer) => {
        const sent = onC1.filter((record) => record.id.producer === producer && record.timestamp >= pausedAt).map((record) => record.timestamp);
        expect(sent.length, `${producer} published on c1 after the pause`).toBeGreaterThan(0);
        return Math.min(...sent) - pausedAt;
      });
      console.log(`multi-cluster sink failover: first record on c1 per sink subtask ${failoverMs.join(' ms, ')} ms after c0 was paused (bound ${boundMs} ms)`);
      expect(Math.max(...failoverMs), 'failover time').toBeLessThanOrEqual(boundMs);
      // The job kept publishing during the outage, not only after c0 came back.
      expect(pausedAt + Math.max(...failoverMs), 'every subtask on c1 before c0 returned').toBeLessThan(resumedAt);
      // Failback: epochs newer than every epoch on c1 are back on c0, published after c0 returned.
      const newestOnC1 = Math.max(...onC1.map((record) => record.id.epoch));
      const backOnC0 = received.filter((record) => record.cluster === 'c0' && record.id.epoch > newestOnC1 && record.id.share === 'c0');
      expect(backOnC0.length, 'records back on c0 after it returned').toBeGreaterThan(0);
      expect(Math.min(...backOnC0.map((record) => record.timestamp))).toBeGreaterThanOrEqual(resumedAt);
    },
  );

  it('multiplex: records spread over both clusters by key, each key in one partition, exactly once in the union', { timeout: 180_000 }, async () => {
    const topic = await topicOnBoth('mr-multiplex');
    const params = spec(topic, { mode: 'multiplex', records: 3_000, publishTimeoutMs: 10_000 });
    const result = await runJob({ jobModule: JOB, params, threads: 2 });
    expect(result.restarts).toBe(0);
    const received = await readClusters(topic);
    expectExactlyOncePerClusterAndInUnion(received, params.records);
    // Without an outage, nothing is on both clusters: the union needs no dedup at all.
    expect(received.length).toBe(params.records);
    const placeOfKey = new Map<number, string>();
    for (const record of received) {
      const place = `${record.cluster}:${record.partition}`;
      expect(placeOfKey.get(record.value.key) ?? place, `key ${record.value.key} in one cluster and partition`).toBe(place);
      placeOfKey.set(record.value.key, place);
    }
    for (const cluster of ['c0', 'c1']) {
      const share = received.filter((record) => record.cluster === cluster).length / received.length;
      expect(share, `${cluster}'s share of the records`).toBeGreaterThan(0.2);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KafkaMessage } from 'kafkajs';
import { runJob, type FaultSpec } from 'weir/testing';
import { brokerPid, startBroker, startClusters, stopBroker, stopClusters, type Cluster } from '../../src/testing/kafka/broker.ts';
import { createTopic, kafkaClient, readTopic, topicOffsets, uniqueTopic } from '../fixtures/kafka.ts';
import { runThroughFaults } from '../fixtures/weir-process.ts';
import type { MultiClusterSinkSpec, Numbered } from '../fixtures/multi-cluster-sink-job.ts';
import { decodeRecordId, RECORD_ID_HEADER, type RecordId } from '../../src/connectors/multi-region/record-id.ts';
import { sleep } from '../../src/core/signal.ts';

const JOB = fileURLToPath(new URL('../fixtures/multi-cluster-sink-job.ts', import.meta.url));
const JOB_PATH = 'test/fixtures/multi-cluster-sink-job.ts';
const PARTITIONS = 3;
/** Beyond a checkpoint interval plus the publish timeout: the checkpoint's completion and c1's first send, on 2 loaded cores. */
const FAILOVER_ALLOWANCE_MS = 1_500;

/** Two clusters of the file's own: pausing or killing the run's shared broker would break the other Kafka tests. */
let clusters: Cluster[] = [];
const workDirs: string[] = [];

beforeAll(async () => {
  // Two JVMs one after the other: on a loaded machine each may take well over the default minute to be ready.
  clusters = await startClusters(2, { ownerPid: process.pid, readyTimeoutMs: 180_000 });
}, 400_000);

afterAll(async () => {
  // A paused broker must run again to stop; a killed one may be gone.
  for (const cluster of clusters) if (brokerPid(cluster) !== undefined) signalBroker(cluster, 'SIGCONT');
  await stopClusters(clusters, { graceMs: 0 });
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
}, 60_000);

function signalBroker(cluster: Cluster, signal: NodeJS.Signals): void {
  const pid = brokerPid(cluster);
  if (pid === undefined) throw new Error(`cluster ${cluster.index} has no live broker to ${signal}`);
  process.kill(pid, signal);
}

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
  for (const [index, cluster] of clusters.entries()) {
    for (const { partition, message } of await readTopic([cluster.address], topic, 60_000)) {
      const id = decodeRecordId(header(message));
      if (id === undefined) throw new Error(`a record on cluster c${index} has no valid ${RECORD_ID_HEADER} header`);
      received.push({ cluster: `c${index}`, partition, value: JSON.parse(message.value!.toString('utf8')) as Numbered, id, timestamp: Number(message.timestamp) });
    }
  }
  return received;
}

/** Resolves once the topic on the cluster holds a committed record. */
async function untilRecordsOn(cluster: Cluster, topic: string, timeoutMs = 120_000): Promise<void> {
  const admin = kafkaClient([cluster.address]).admin();
  await admin.connect();
  try {
    for (const deadline = Date.now() + timeoutMs; ; await sleep(100)) {
      if ((await topicOffsets(admin, topic)).some(({ high }) => Number(high) > 0)) return;
      if (Date.now() > deadline) throw new Error(`nothing published to ${topic} on ${cluster.address} in ${timeoutMs} ms`);
    }
  } finally {
    await admin.disconnect();
  }
}

function header(message: KafkaMessage): Buffer | string | undefined {
  const value = message.headers?.[RECORD_ID_HEADER];
  return Array.isArray(value) ? value[0] : value;
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
    clusters: clusters.map((cluster, index) => [`c${index}`, cluster.address] as const),
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
  for (const cluster of clusters) await createTopic([cluster.address], topic, PARTITIONS);
  return topic;
}

describe('MultiClusterKafkaSink on two real clusters', () => {
  // Paused: the broker holds connections and answers nothing (a hung region). Killed: connections refused, and the
  // broker restarts on the same data (its JVM takes a while to start, so that job runs longer to see the failback).
  it.each([
    { outage: 'paused', records: 2_000 },
    { outage: 'killed', records: 6_000 },
  ] as const)(
    'failover: with the primary broker $outage, later epochs go to the other cluster in time, without a restart; back to the primary after it returns; exactly once per cluster and in the union',
    { timeout: 300_000 },
    async ({ outage: kind, records }) => {
      const topic = await topicOnBoth('mr-failover');
      const params = spec(topic, { records, ratePerSecond: 150 });
      let pausedAt = 0;
      let resumedAt = 0;
      const outage = (async () => {
        // The outage begins once the job publishes on c0 (its start takes a while on a loaded machine).
        await untilRecordsOn(clusters[0]!, topic);
        if (kind === 'paused') signalBroker(clusters[0]!, 'SIGSTOP');
        else await stopBroker(clusters[0]!, { graceMs: 0 });
        pausedAt = Date.now();
        await sleep(4_000);
        if (kind === 'paused') signalBroker(clusters[0]!, 'SIGCONT');
        else clusters[0] = await startBroker(clusters[0]!, 180_000);
        resumedAt = Date.now();
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
      console.log(`multi-cluster sink failover: first record on c1 per sink subtask ${failoverMs.join(' ms, ')} ms after c0 was ${kind} (bound ${boundMs} ms)`);
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

  it('a process killed in the commit gap (before and after a share commits), with two clusters publishing, publishes nothing twice per cluster', { timeout: 300_000 }, async () => {
    const fired = new Map<string, number>();
    for (const [mode, point] of [
      ['multiplex', 'kafka-before-commit'],
      ['multiplex', 'kafka-after-commit'],
      ['failover', 'kafka-after-commit'],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'weir-mr-sink-crash-'));
      workDirs.push(dir);
      const topic = await topicOnBoth('mr-crash');
      const params = spec(topic, { mode, records: 3_000, ratePerSecond: 1_500, checkpointIntervalMs: 100, publishTimeoutMs: 10_000 });
      const faults: FaultSpec[] = [{ point, hit: 3, action: 'kill', marker: join(dir, 'fault') }];
      const args = ['run', JOB_PATH, '--parallelism', '2', '--job-id', 'mr-sink-crash', '--checkpoint-dir', join(dir, 'checkpoints'), '--params', JSON.stringify(params)];
      const firedNow = await runThroughFaults(args, faults, fired, { maxProcesses: 4 });
      expect(firedNow, `the fault at ${point} fired (${mode})`).toBe(1);
      const received = await readClusters(topic);
      expectExactlyOncePerClusterAndInUnion(received, params.records);
      expect(received.length, `no record on both clusters (${mode}, no outage)`).toBe(params.records);
    }
    console.log(`multi-cluster sink crash faults fired: ${JSON.stringify(Object.fromEntries(fired))}`);
  });
});

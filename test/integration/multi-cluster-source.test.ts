import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJob, type JobResult } from 'weir/testing';
import { createKafkaClient } from '../../src/connectors/kafka/client/index.ts';
import { sleep } from '../../src/core/signal.ts';
import { useKafkaClusters } from '../fixtures/kafka-clusters.ts';
import type { Event, MultiClusterParams } from '../fixtures/multi-cluster-job.ts';

const JOB = fileURLToPath(new URL('../fixtures/multi-cluster-job.ts', import.meta.url));
const PARTITIONS = 3;
const KEYS = ['ann', 'bob', 'cy', 'dee', 'eve'];

/** Clusters a and b: two of the run's pool, this file's alone while it runs (its last test takes b down). */
const kafka = useKafkaClusters(2);
const dir = mkdtempSync(join(tmpdir(), 'weir-multi-cluster-'));
let run = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One test's stream: its topic on both clusters, its metadata file (which clusters it names), its job's files. */
function setting(name: string) {
  run++;
  const topic = `${name}-${run}-${Date.now().toString(36)}`;
  const metadataFile = join(dir, `${topic}.clusters.json`);
  const seenFile = join(dir, `${topic}.seen.jsonl`);
  const writeMetadata = (ids: readonly ('a' | 'b')[]): void => {
    const metadata = {
      clusters: { a: { brokers: kafka.brokers(0) }, b: { brokers: kafka.brokers(1) } },
      streams: { events: ids.map((cluster) => ({ cluster, topics: [topic] })) },
    };
    // Whole or not at all: the watcher must never read half a file.
    writeFileSync(`${metadataFile}.tmp`, JSON.stringify(metadata));
    renameSync(`${metadataFile}.tmp`, metadataFile);
  };
  const params = (parallelism: number): MultiClusterParams => ({
    metadataFile,
    stream: 'events',
    groupId: `${topic}-group`,
    parallelism,
    checkpointIntervalMs: 200,
    seenFile,
    requestTimeoutMs: 3_000,
  });
  return { topic, writeMetadata, params, seen: () => seenIds(seenFile) };
}

function seenIds(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as Event).id);
}

/** Produces `count` events with ids `${prefix}-${i}` to the topic on cluster `index` (0: a, 1: b). */
async function produce(index: number, topic: string, prefix: string, count: number): Promise<Event[]> {
  const events = Array.from({ length: count }, (_, i): Event => ({ id: `${prefix}-${i}`, key: KEYS[i % KEYS.length]! }));
  const client = createKafkaClient({ brokers: kafka.brokers(index), clientId: 'multi-cluster-test' });
  const producer = await client.producer();
  try {
    await producer.send([{ topic, partition: undefined, records: events.map((event) => ({ key: Buffer.from(event.key), value: Buffer.from(JSON.stringify(event)) })) }]);
  } finally {
    await producer.close();
    await client.close();
  }
  return events;
}

/** Waits until every id was seen by the job (or fails with what is missing). */
async function waitForIds(seen: () => string[], ids: readonly string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const have = new Set(seen());
    const missing = ids.filter((id) => !have.has(id));
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${missing.length} of ${ids.length} records not read within ${timeoutMs} ms, e.g. ${missing.slice(0, 5).join(', ')}`);
    await sleep(100);
  }
}

/** A job running until `stop()`, which takes a savepoint and resolves with the result. */
function startJob(params: MultiClusterParams, fromSavepoint?: string): { stop: () => Promise<JobResult> } {
  const controller = new AbortController();
  const result = runJob({
    jobModule: JOB,
    params,
    threads: Math.min(params.parallelism, 2),
    savepointDir: join(dir, 'savepoints'),
    logLevel: 'warn',
    stopWithSavepoint: controller.signal,
    ...(fromSavepoint === undefined ? {} : { fromSavepoint }),
  });
  result.catch(() => {});
  return {
    stop: async () => {
      controller.abort();
      return result;
    },
  };
}

function countPerKey(events: readonly Event[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { key } of events) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

function expectExactlyOnce(collected: readonly Event[], produced: readonly Event[]): void {
  const ids = collected.map((event) => event.id);
  expect(new Set(ids).size, 'a record was read twice').toBe(ids.length);
  expect([...ids].sort()).toEqual(produced.map((event) => event.id).sort());
  expect(countPerKey(collected)).toEqual(countPerKey(produced));
}

describe('MultiClusterKafkaSource on two real clusters', () => {
  it('reads one stream from both clusters; a restore at another parallelism goes on at each cluster\'s own offsets', { timeout: 240_000 }, async () => {
    const { topic, writeMetadata, params, seen } = setting('both');
    await kafka.createTopic(topic, PARTITIONS);
    writeMetadata(['a', 'b']);
    const first = [...(await produce(0, topic, 'a1', 300)), ...(await produce(1, topic, 'b1', 200))];

    const job = startJob(params(2));
    await waitForIds(seen, first.map((event) => event.id));
    const stopped = await job.stop();
    expect(stopped.restarts).toBe(0);
    expectExactlyOnce(stopped.outputs.get('events') as Event[], first);
    const savepoint = stopped.stopped?.savepoint;
    expect(savepoint, stopped.stopped?.reason).toBeDefined();

    // Different counts per cluster: offsets swapped between clusters, or restarted at the earliest, would show.
    const second = [...(await produce(0, topic, 'a2', 50)), ...(await produce(1, topic, 'b2', 120))];
    const restored = startJob(params(3), savepoint);
    await waitForIds(seen, second.map((event) => event.id));
    const again = await restored.stop();
    expect(again.restarts).toBe(0);
    expectExactlyOnce(again.outputs.get('events') as Event[], second);
  });

  it('Done-when 4: a cluster added to the watched file is read, removed is read no more, re-added resumes at its retained offsets; no restart', { timeout: 240_000 }, async () => {
    const { topic, writeMetadata, params, seen } = setting('add-remove');
    await kafka.createTopic(topic, PARTITIONS);
    writeMetadata(['a']);
    const produced: Event[] = [];
    const b0 = await produce(1, topic, 'b0', 40); // on b before the job reads b: read from the earliest when b is added
    produced.push(...b0, ...(await produce(0, topic, 'a0', 60)));
    const job = startJob(params(2));
    await waitForIds(seen, produced.filter((event) => event.id.startsWith('a0')).map((event) => event.id));
    expect(seen().some((id) => id.startsWith('b0')), 'b is not in the metadata yet').toBe(false);

    writeMetadata(['a', 'b']);
    produced.push(...(await produce(1, topic, 'b1', 50)));
    await waitForIds(seen, [...b0, ...produced.filter((event) => event.id.startsWith('b1'))].map((event) => event.id));

    writeMetadata(['a']);
    // The change applies at each subtask's next barrier (file polled every 100 ms, checkpoints every 200 ms).
    await sleep(3_000);
    const whileRemoved = await produce(1, topic, 'b2', 30);
    produced.push(...whileRemoved);
    const a1 = await produce(0, topic, 'a1', 30);
    produced.push(...a1);
    await waitForIds(seen, a1.map((event) => event.id));
    await sleep(2_000);
    expect(seen().filter((id) => id.startsWith('b2')), 'records of a removed cluster were read').toEqual([]);

    writeMetadata(['a', 'b']);
    await waitForIds(seen, whileRemoved.map((event) => event.id));
    const stopped = await job.stop();
    expect(stopped.restarts).toBe(0);
    // Nothing before the removal was read again (retained offsets, not the earliest), nothing lost.
    expectExactlyOnce(stopped.outputs.get('events') as Event[], produced);
  });

  it('a cluster whose broker is stopped (SIGSTOP) neither fails nor stalls the job; its records arrive after it returns', { timeout: 300_000 }, async () => {
    const { topic, writeMetadata, params, seen } = setting('outage');
    await kafka.createTopic(topic, PARTITIONS);
    writeMetadata(['a', 'b']);
    const produced: Event[] = [];
    produced.push(...(await produce(0, topic, 'a0', 50)), ...(await produce(1, topic, 'b0', 50)));
    const job = startJob(params(2));
    await waitForIds(seen, produced.map((event) => event.id));

    // b stops answering (its JVM frozen) for a few seconds: a goes on meanwhile.
    const paused = await kafka.beginOutage(1, 'pause');
    try {
      const during = await produce(0, topic, 'a1', 40);
      produced.push(...during);
      await waitForIds(seen, during.map((event) => event.id), 15_000);
      await sleep(3_000);
    } finally {
      await paused.end();
    }
    const afterStop = await produce(1, topic, 'b1', 40);
    produced.push(...afterStop);
    await waitForIds(seen, afterStop.map((event) => event.id));

    // A killed and restarted cluster: multi-cluster-outage.test.ts (the other cluster's windows fire meanwhile, the
    // killed one's unread records are counted once after it returns, and nothing read before the kill is read again).

    const stopped = await job.stop();
    expect(stopped.restarts, 'the job restarted').toBe(0);
    expectExactlyOnce(stopped.outputs.get('events') as Event[], produced);
  });
});

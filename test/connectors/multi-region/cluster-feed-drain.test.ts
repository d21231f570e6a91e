import { afterAll, describe, expect, it } from 'vitest';
import { deserializers } from '../../../src/connectors/kafka/serde.ts';
import { ClusterFeed } from '../../../src/connectors/multi-region/cluster-feed.ts';
import type { ReaderOutput } from '../../../src/connectors/source.ts';
import { sleep } from '../../../src/core/signal.ts';
import { createTopic, kafkaBrokers, kafkaClient, produceRecords, uniqueTopic } from '../../fixtures/kafka.ts';

const feeds: ClusterFeed<string>[] = [];
afterAll(async () => {
  for (const feed of feeds) await feed.close();
});

/** Drains the feed into `into` until `until` holds or the deadline passes. */
async function drainUntil(feed: ClusterFeed<string>, into: string[], until: () => boolean, what: string): Promise<void> {
  const output: ReaderOutput<string> = { collect: (record) => void into.push(record), forSplit: () => output, releaseSplit: () => {} };
  for (const deadline = Date.now() + 30_000; !until(); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; read ${JSON.stringify(into)}`);
    feed.drain(output, 100, undefined);
  }
}

describe("a multi-cluster source's drain proof", () => {
  it("counts records of a transaction still open on the cluster as lag at the checkpoint, where read_committed's lag is 0", async () => {
    const brokers = kafkaBrokers();
    const topic = uniqueTopic('drain-open-transaction');
    await createTopic(brokers, topic, 1);
    await produceRecords(brokers, topic, ['a', 'b', 'c'].map((value) => ({ value })));
    // A producer still writing into cluster A inside a transaction it has not committed: its records will become
    // visible later, so A is not drained yet although a read_committed reader has read all it can.
    const producer = kafkaClient(brokers).producer({ transactionalId: uniqueTopic('drain-producer'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const transaction = await producer.transaction();
    try {
      await transaction.send({ topic, messages: [{ value: 'd' }, { value: 'e' }] });
      const feed = new ClusterFeed<string>(
        'a',
        { brokers },
        [topic],
        { groupId: uniqueTopic('drain-group'), deserializer: deserializers.string(), requestTimeoutMs: 10_000, healthCheckMs: 500, partitionDiscoveryMs: 0, subtask: 0, parallelism: 1, operator: 'drain-test' },
        undefined,
        'earliest',
        () => {},
      );
      feeds.push(feed);
      feed.start();
      const read: string[] = [];
      await drainUntil(feed, read, () => read.length === 3, 'the 3 committed records');

      feed.snapshot(1);
      await feed.complete(1);
      expect(feed.lagRecords, "read_committed's lag: nothing more to read now").toBe(0);
      expect(feed.lagAtCheckpoint?.lagRecords, 'the lag the drain proof reads: the open transaction holds 2 records').toBe(2);

      // Once the transaction commits, the reader reads its records and passes its marker: the drain can complete.
      await transaction.commit();
      await drainUntil(feed, read, () => read.length === 5, 'the committed transaction');
      let checkpointId = 1;
      for (const deadline = Date.now() + 30_000; feed.lagAtCheckpoint?.lagRecords !== 0; await sleep(100)) {
        if (Date.now() > deadline) throw new Error(`the lag at the checkpoint stayed ${feed.lagAtCheckpoint?.lagRecords} after the commit`);
        feed.drain({ collect: (record) => void read.push(record), forSplit() { return this; }, releaseSplit: () => {} }, 100, undefined);
        feed.snapshot(++checkpointId);
        await feed.complete(checkpointId);
      }
      expect(read).toEqual(['a', 'b', 'c', 'd', 'e']);
    } finally {
      await producer.disconnect();
    }
  });
});

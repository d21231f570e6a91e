import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TopicPartition } from '../../src/connectors/kafka/client/index.ts';
import { toOutgoing } from '../../src/connectors/kafka/outgoing.ts';
import { PartitionBatcher } from '../../src/connectors/kafka/partition-batcher.ts';
import { PartitionCounts, type PartitionLookup } from '../../src/connectors/kafka/partition-counts.ts';
import { partitionForKey } from '../../src/connectors/kafka/client/partitioner.ts';

/** Topics with fixed partition counts, as a cluster's metadata answers them; asked topics are recorded. */
function topics(counts: Record<string, number>): PartitionLookup & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    partitionsOf: async (names: readonly string[]): Promise<TopicPartition[]> => {
      asked.push([...names]);
      return names.flatMap((topic) => {
        if (counts[topic] === undefined) throw new Error(`Kafka topic not found: ${topic}`);
        return Array.from({ length: counts[topic] }, (_, partition) => ({ topic, partition }));
      });
    },
  };
}

interface Click {
  readonly user: string;
  readonly n: number;
}

const options = { topic: 'clicks', serializer: (click: Click) => JSON.stringify(click), key: (click: Click) => click.user };

describe('PartitionBatcher', () => {
  it("puts every keyed record into its key's partition, each partition in write order, serialised once to Buffers", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ user: fc.string({ maxLength: 6 }), n: fc.nat() }), { maxLength: 200 }), fc.integer({ min: 1, max: 12 }), async (clicks, partitions) => {
        const counts = new PartitionCounts(topics({ clicks: partitions }));
        await counts.fetch(['clicks']);
        const batcher = new PartitionBatcher(counts);
        for (const click of clicks) batcher.add(toOutgoing(options, click));
        expect(batcher.size).toBe(clicks.length);
        const batches = batcher.drain();
        expect(batcher.size).toBe(0);
        const expected = new Map<number, string[]>();
        for (const click of clicks) {
          const partition = partitionForKey(Buffer.from(click.user), partitions);
          expected.set(partition, [...(expected.get(partition) ?? []), JSON.stringify(click)]);
        }
        const got = new Map(batches.map(({ topic, partition, records }) => {
          expect(topic).toBe('clicks');
          for (const record of records) expect(Buffer.isBuffer(record.value)).toBe(true);
          return [partition!, records.map((record) => record.value!.toString())];
        }));
        expect(got).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('holds the records of a topic chosen per record until its partition count is fetched, then places them in order', async () => {
    const lookup = topics({ a: 2, b: 3 });
    const counts = new PartitionCounts(lookup);
    const batcher = new PartitionBatcher(counts);
    const perRecord = { topic: (click: Click) => (click.n % 2 === 0 ? 'a' : 'b'), serializer: (click: Click) => JSON.stringify(click), partition: (click: Click) => click.n % 2 };
    for (let n = 0; n < 6; n++) batcher.add(toOutgoing(perRecord, { user: 'u', n }));
    expect(batcher.drain()).toEqual([]);
    expect(batcher.size).toBe(6);
    await batcher.resolve();
    expect(lookup.asked).toEqual([['a', 'b']]);
    const numbers = (records: readonly { value: Buffer | null }[]) => records.map((record) => (JSON.parse(record.value!.toString()) as Click).n);
    expect(batcher.drain().map(({ topic, partition, records }) => [topic, partition, numbers(records)])).toEqual([
      ['a', 0, [0, 2, 4]],
      ['b', 1, [1, 3, 5]],
    ]);
  });

  it('refuses a partition the topic does not have, naming it', async () => {
    const counts = new PartitionCounts(topics({ clicks: 2 }));
    await counts.fetch(['clicks']);
    const batcher = new PartitionBatcher(counts);
    expect(() => batcher.add(toOutgoing({ ...options, partition: () => 2 }, { user: 'u', n: 1 }))).toThrow(/partition 2 of topic 'clicks', which has partitions 0-1/);
  });

  it('fails with the name of a topic that does not exist', async () => {
    const batcher = new PartitionBatcher(new PartitionCounts(topics({})));
    batcher.add(toOutgoing({ ...options, topic: () => 'missing' }, { user: 'u', n: 1 }));
    await expect(batcher.resolve()).rejects.toThrow(/missing/);
  });
});

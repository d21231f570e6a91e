import { describe, expect, it } from 'vitest';
import { FetchBuffer, type Fetched } from '../../src/connectors/kafka/fetch-buffer.ts';
import type { FetchedBatch, KafkaRecordView, PartitionFetcher, TopicPartition } from '../../src/connectors/kafka/client/index.ts';

/** A fetcher that only records what the buffer asks of it (the buffer never fetches). */
function recordingFetcher(): PartitionFetcher & { readonly calls: string[] } {
  const calls: string[] = [];
  const names = (partitions: readonly TopicPartition[]) => partitions.map(({ topic, partition }) => `${topic}:${partition}`).join(',');
  return {
    calls,
    start: async () => {},
    stop: async () => {},
    pause: (partitions) => void calls.push(`pause ${names(partitions)}`),
    resume: (partitions) => void calls.push(`resume ${names(partitions)}`),
    savePositions: async () => {},
    close: async () => {},
  };
}

function batch(topic: string, partition: number, offsets: readonly number[], nextOffset: number): FetchedBatch {
  const records: KafkaRecordView[] = offsets.map((offset) => ({ topic, partition, offset, timestamp: offset, key: null, value: Buffer.from(String(offset)), headers: {} }));
  return { topic, partition, records, nextOffset };
}

function drain(buffer: FetchBuffer, count: number): Fetched[] {
  const taken: Fetched[] = [];
  for (let i = 0; i < count; i++) taken.push(buffer.next()!);
  return taken;
}

describe('the Kafka fetch buffer', () => {
  it("hands out each batch's records in order, then its end (which also covers what the batch left out)", () => {
    const buffer = new FetchBuffer(100);
    buffer.add(batch('t', 0, [3, 4], 7), undefined);
    buffer.add(batch('t', 1, [], 12), undefined);
    const taken = drain(buffer, 4).map((item) => ('record' in item ? `${item.key}@${item.record.offset}` : `${item.key} up to ${item.upTo}`));
    expect(taken).toEqual(['t:0@3', 't:0@4', 't:0 up to 7', 't:1 up to 12']);
    expect(buffer.next()).toBeUndefined();
  });

  it('pauses a partition whose batch finds it over its bound, once, and resumes the paused ones at half', () => {
    const fetcher = recordingFetcher();
    const buffer = new FetchBuffer(4);
    buffer.add(batch('t', 0, [0, 1, 2], 3), fetcher);
    expect(fetcher.calls).toEqual([]);
    buffer.add(batch('t', 1, [0, 1], 2), fetcher);
    buffer.add(batch('t', 1, [2], 3), fetcher);
    expect(fetcher.calls).toEqual(['pause t:1']);
    // 9 items buffered: not yet down to half of 4.
    drain(buffer, 6);
    buffer.resumeWhenDrained(fetcher);
    expect(fetcher.calls).toEqual(['pause t:1']);
    drain(buffer, 1);
    buffer.resumeWhenDrained(fetcher);
    expect(fetcher.calls).toEqual(['pause t:1', 'resume t:1']);
    buffer.resumeWhenDrained(fetcher);
    expect(fetcher.calls).toHaveLength(2);
  });

  it('forgets its records and its paused partitions when cleared', () => {
    const fetcher = recordingFetcher();
    const buffer = new FetchBuffer(1);
    buffer.add(batch('t', 0, [0, 1], 2), fetcher);
    buffer.clear();
    expect(buffer.size).toBe(0);
    expect(buffer.next()).toBeUndefined();
    buffer.resumeWhenDrained(fetcher);
    expect(fetcher.calls).toEqual(['pause t:0']);
  });
});

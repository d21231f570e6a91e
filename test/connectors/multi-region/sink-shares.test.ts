import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../src/connectors/kafka/client/partitioner.ts';
import type { OutgoingRecord } from '../../../src/connectors/kafka/outgoing.ts';
import { decodeRecordId, RECORD_ID_HEADER } from '../../../src/connectors/multi-region/record-id.ts';
import { RecordPartitioner, shareOf, shareRecords, type ClusterEpoch } from '../../../src/connectors/multi-region/shares.ts';

const PARTITIONS = 4;

function epochOf(epoch: number, shares: string[]): ClusterEpoch {
  return { owner: 1, epoch, records: 0, shares, partitions: PARTITIONS };
}

/** An epoch's records as the epoch log gives them back: keys k0..k(n-1) (and keyless ones), partitioned by the sink. */
function recordsOf(count: number, keyless = false): OutgoingRecord[] {
  const partitioner = new RecordPartitioner(PARTITIONS);
  return Array.from({ length: count }, (_, index) => {
    const key = keyless ? null : Buffer.from(`k${index % 50}`);
    return { topic: '', message: { key, value: Buffer.from(String(index)), partition: partitioner.partitionOf(key, 8) } };
  });
}

async function collect(epochs: ClusterEpoch[], share: string, records: OutgoingRecord[]): Promise<OutgoingRecord[]> {
  const out: OutgoingRecord[] = [];
  const read = async function* (): AsyncGenerator<OutgoingRecord[]> {
    yield records.slice(0, 37);
    yield records.slice(37);
  };
  for await (const batch of shareRecords(epochs, share, `topic-of-${share}`, (owner) => `job/op/${owner}`, read)) out.push(...batch);
  return out;
}

describe('multi-cluster sink shares', () => {
  it('a keyed record goes to its key partition as Java computes it, and a key to one share', () => {
    const partitioner = new RecordPartitioner(PARTITIONS);
    for (let key = 0; key < 100; key++) {
      const bytes = Buffer.from(`key-${key}`);
      expect(partitioner.partitionOf(bytes, 10)).toBe(partitionForKey(bytes, PARTITIONS));
      expect(shareOf(bytes, 0, 3, PARTITIONS)).toBe(shareOf(`key-${key}`, 99, 3, PARTITIONS));
    }
  });

  it('spreads keys over every (share, partition) pair: the share is not the partition in disguise', () => {
    const pairs = new Set<string>();
    for (let key = 0; key < 400; key++) {
      const bytes = Buffer.from(`user-${key}`);
      pairs.add(`${shareOf(bytes, 0, 2, PARTITIONS)}:${partitionForKey(bytes, PARTITIONS)}`);
    }
    expect(pairs.size).toBe(2 * PARTITIONS);
  });

  it('keyless records go round robin by position; one share takes everything', () => {
    expect([0, 1, 2, 3, 4].map((position) => shareOf(null, position, 2, PARTITIONS))).toEqual([0, 1, 0, 1, 0]);
    expect(shareOf(Buffer.from('any'), 7, 1, PARTITIONS)).toBe(0);
  });

  it('splits an epoch into shares that together hold each record once, each with its weir-id and sequence from 0, the same on every read', async () => {
    for (const keyless of [false, true]) {
      const records = recordsOf(200, keyless);
      const epochs = [epochOf(7, ['east', 'west'])];
      const east = await collect(epochs, 'east', records);
      const west = await collect(epochs, 'west', records);
      expect(east.length + west.length).toBe(200);
      expect(east.length).toBeGreaterThan(40);
      expect(west.length).toBeGreaterThan(40);
      expect(new Set([...east, ...west].map(({ message }) => String(message.value))).size).toBe(200);
      for (const [share, out] of [['east', east], ['west', west]] as const) {
        const ids = out.map(({ topic, message }) => {
          expect(topic).toBe(`topic-of-${share}`);
          return decodeRecordId(message.headers![RECORD_ID_HEADER]);
        });
        expect(ids.map((id) => id?.sequence)).toEqual(out.map((_, index) => index));
        expect(new Set(ids.map((id) => `${id?.producer}|${id?.share}|${id?.epoch}`))).toEqual(new Set([`job/op/1|${share}|7`]));
      }
      // Published again (on another cluster, after a restore): the same records with the same ids.
      expect(await collect(epochs, 'east', records)).toEqual(east);
    }
  });

  it('a failover epoch is one share: every record, in order, numbered 0..n-1; epochs of other shares are left out', async () => {
    const records = recordsOf(90);
    const out = await collect([epochOf(3, ['west']), epochOf(4, ['east'])], 'west', records);
    expect(out.map(({ message }) => String(message.value))).toEqual(records.map(({ message }) => String(message.value)));
    expect(out.map(({ message }) => decodeRecordId(message.headers![RECORD_ID_HEADER])?.epoch)).toEqual(records.map(() => 3));
  });
});

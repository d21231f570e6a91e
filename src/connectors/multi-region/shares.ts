import type { KafkaEpoch } from '../kafka/epoch-writer.ts';
import type { OutgoingRecord } from '../kafka/outgoing.ts';
import { murmur2, partitionForKey, StickyPartitions, toPositive } from '../kafka/client/partitioner.ts';
import { encodeRecordId, RECORD_ID_HEADER } from './record-id.ts';

/**
 * A multi-cluster sink's epoch: the records between two barriers (in an epoch log, as the exactly-once Kafka sink keeps
 * them) and how they were shared out over clusters at the barrier that closed it. Plain data, kept in the checkpoint.
 */
export interface ClusterEpoch extends KafkaEpoch {
  /**
   * The clusters the epoch is shared out to, in preference order: one (failover: the whole epoch) or the healthy ones
   * at the barrier (multiplex). A share keeps its cluster id as its name wherever it is published.
   */
  readonly shares: readonly string[];
  /** The partition count the records were partitioned for (equal on every cluster of the stream); a keyed record's share depends on it. */
  readonly partitions: number;
}

/**
 * The partition of a record, chosen by the sink itself so that a share lands in the same partition numbers on every
 * cluster: a key's partition as Java's client chooses it, keyless records sticky (client/partitioner.ts).
 */
export class RecordPartitioner {
  private readonly sticky = new StickyPartitions();

  constructor(private readonly partitions: number) {}

  partitionOf(key: Buffer | string | null | undefined, valueBytes: number): number {
    if (key === null || key === undefined) return this.sticky.next('', this.partitions, valueBytes);
    return partitionForKey(typeof key === 'string' ? Buffer.from(key) : key, this.partitions);
  }
}

/**
 * The index in `shares` of a record's share. Keyed: the key's murmur2 hash, with the part that chose its partition
 * divided out (hash / partitions), modulo the shares; taking the hash modulo the shares directly would give each
 * cluster only the partitions of one residue (2 clusters, 4 partitions: one cluster gets partitions 0 and 2, the other
 * 1 and 3). Keyless: by the record's position in the epoch, round robin.
 */
export function shareOf(key: Buffer | string | null | undefined, position: number, shares: number, partitions: number): number {
  if (shares === 1) return 0;
  if (key === null || key === undefined) return position % shares;
  const hash = toPositive(murmur2(typeof key === 'string' ? Buffer.from(key) : key));
  return Math.floor(hash / partitions) % shares;
}

/**
 * The records of one share of these epochs, in order, addressed to `topic`, each with its `weir-id` header (producer,
 * share, epoch, sequence in the share). The same on every cluster and after every restore: the share and the sequence
 * follow from the epoch's records and its shares alone.
 */
export async function* shareRecords(
  epochs: readonly ClusterEpoch[],
  share: string,
  topic: string,
  producerOf: (owner: number) => string,
  read: (epoch: ClusterEpoch) => AsyncIterable<OutgoingRecord[]>,
): AsyncGenerator<OutgoingRecord[]> {
  for (const epoch of epochs) {
    const index = epoch.shares.indexOf(share);
    if (index < 0) continue;
    const producer = producerOf(epoch.owner);
    let position = 0;
    let sequence = 0;
    for await (const batch of read(epoch)) {
      const out: OutgoingRecord[] = [];
      for (const { message } of batch) {
        if (shareOf(message.key, position++, epoch.shares.length, epoch.partitions) !== index) continue;
        const id = encodeRecordId({ producer, share, epoch: epoch.epoch, sequence: sequence++ });
        out.push({ topic, message: { ...message, headers: { ...message.headers, [RECORD_ID_HEADER]: id } } });
      }
      if (out.length > 0) yield out;
    }
  }
}

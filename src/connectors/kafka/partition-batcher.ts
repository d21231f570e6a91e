import type { PartitionBatch, ProducedRecord } from './client/index.ts';
import { WeirError } from '../../core/errors.ts';
import type { PartitionCounts } from './partition-counts.ts';
import { partitionForKey, StickyPartitions } from './client/partitioner.ts';
import type { Outgoing } from './outgoing.ts';

/**
 * Groups a sink's outgoing records into one array per (topic, partition) as they are written, so that the client
 * gets whole per-partition batches (and nothing copies an array per record). Partitions are weir's own choice
 * (client/partitioner.ts): an explicit one, else Java's murmur2 of the key, else sticky. A record of a topic whose partition
 * count is not known yet waits, in order, until `resolve` has fetched it.
 */
export class PartitionBatcher {
  /** Per topic, the records of each partition (sparse). */
  private batches = new Map<string, ProducedRecord[][]>();
  private unresolved: Outgoing[] = [];
  private readonly sticky = new StickyPartitions();
  private count = 0;

  constructor(private readonly counts: PartitionCounts) {}

  /** Records added and not drained yet. */
  get size(): number {
    return this.count;
  }

  add(outgoing: Outgoing): void {
    this.count++;
    // Once one of a topic's records waits, the topic's later ones wait behind it (per-partition order).
    if (this.unresolved.length > 0 || !this.place(outgoing)) this.unresolved.push(outgoing);
  }

  /** Fetches the partition counts that waiting records need, and places those records. */
  async resolve(): Promise<void> {
    if (this.unresolved.length === 0) return;
    await this.counts.fetch(this.unresolved.map(({ topic }) => topic));
    const waiting = this.unresolved;
    this.unresolved = [];
    for (const outgoing of waiting) if (!this.place(outgoing)) throw new Error(`no partition count for Kafka topic '${outgoing.topic}' after fetching it`);
  }

  /** The batches so far (call `resolve` first: waiting records stay); the batcher starts empty again. */
  drain(): PartitionBatch[] {
    const drained: PartitionBatch[] = [];
    for (const [topic, partitions] of this.batches) {
      partitions.forEach((records, partition) => drained.push({ topic, partition, records }));
    }
    this.batches = new Map();
    this.count = this.unresolved.length;
    return drained;
  }

  private place({ topic, partition, record }: Outgoing): boolean {
    const partitions = this.counts.get(topic);
    if (partitions === undefined) return false;
    const chosen = partition ?? (record.key !== null ? partitionForKey(record.key, partitions) : this.sticky.next(topic, partitions, record.value?.length ?? 0));
    if (!Number.isInteger(chosen) || chosen < 0 || chosen >= partitions) {
      throw new WeirError(`the Kafka sink's partition function chose partition ${chosen} of topic '${topic}', which has partitions 0-${partitions - 1}`);
    }
    let byPartition = this.batches.get(topic);
    if (byPartition === undefined) this.batches.set(topic, (byPartition = []));
    (byPartition[chosen] ??= []).push(record);
    return true;
  }
}

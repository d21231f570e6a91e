import type { ICustomPartitioner, Message, ProducerBatch } from 'kafkajs';
import type { PartitionBatch, ProducedRecord } from '../interface.ts';
import { groupedByWeir } from './grouping-fix.ts';
import { partitionForKey, StickyPartitions } from '../partitioner.ts';

/**
 * Sends weir's per-partition batches through kafkajs (a producer or a transaction: both have sendBatch). kafkajs
 * gets each topic's records in one array with weir's grouping registered for it (grouping-fix.ts), so it neither
 * calls a partitioner per record nor regroups: the send goes straight to its per-broker produce requests, with
 * kafkajs's own sequence numbers (idempotence: a retry is not written twice), retries and transactions.
 *
 * One partition's records in one request stay under about MAX_PARTITION_BYTES (the broker refuses a record batch
 * above message.max.bytes, 1 MiB by default); a larger batch goes out in consecutive sends, in order. Sends run one
 * after the other, so a partition's records keep their order.
 */
export const MAX_PARTITION_BYTES = 512 * 1024;
/** What a record costs on the wire besides its key and value (batch and record headers): an estimate for the cut. */
const RECORD_OVERHEAD_BYTES = 64;

interface BatchSending {
  sendBatch(batch: ProducerBatch): Promise<unknown>;
}

export async function sendPartitionBatches(sender: BatchSending, batches: readonly PartitionBatch[]): Promise<void> {
  for (const round of rounds(batches)) {
    const byTopic = new Map<string, { messages: object[]; grouping: Record<number, readonly object[]> }>();
    for (const { topic, partition, records } of round) {
      let entry = byTopic.get(topic);
      if (entry === undefined) byTopic.set(topic, (entry = { messages: [], grouping: {} }));
      for (const record of records) entry.messages.push(record);
      // The same partition twice in one list (a caller's choice): one group, in list order.
      const earlier = entry.grouping[partition];
      entry.grouping[partition] = earlier === undefined ? records : [...earlier, ...records];
    }
    const topicMessages = [...byTopic].map(([topic, { messages, grouping }]) => {
      groupedByWeir.set(messages, grouping);
      return { topic, messages: messages as Message[] };
    });
    await sender.sendBatch({ topicMessages, acks: -1 });
  }
}

/** The batches cut so that each send holds at most about MAX_PARTITION_BYTES of a partition; every batch's partition is set. */
function* rounds(batches: readonly PartitionBatch[]): Generator<{ topic: string; partition: number; records: readonly ProducedRecord[] }[]> {
  let pending = batches.map((batch) => {
    if (batch.partition === undefined) throw new Error(`fast-send takes partitioned batches only; a batch of topic '${batch.topic}' has none`);
    return { topic: batch.topic, partition: batch.partition, records: batch.records, from: 0 };
  });
  while (pending.length > 0) {
    const round = [];
    for (const batch of pending) {
      let bytes = 0;
      let to = batch.from;
      while (to < batch.records.length && (to === batch.from || bytes < MAX_PARTITION_BYTES)) bytes += sizeOf(batch.records[to++]!);
      round.push({ topic: batch.topic, partition: batch.partition, records: batch.from === 0 && to === batch.records.length ? batch.records : batch.records.slice(batch.from, to) });
      batch.from = to;
    }
    yield round;
    pending = pending.filter((batch) => batch.from < batch.records.length);
  }
}

function sizeOf(record: ProducedRecord): number {
  return (record.key?.length ?? 0) + (record.value?.length ?? 0) + RECORD_OVERHEAD_BYTES;
}

/**
 * A kafkajs partitioner with weir's choices (client/partitioner.ts), for the sends that still go through kafkajs's own
 * partitioning: an explicit partition, else Java's murmur2 of the key, else sticky.
 */
export const createWeirPartitioner: ICustomPartitioner = () => {
  const sticky = new StickyPartitions();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    const partitions = partitionMetadata.length;
    if (message.key !== undefined && message.key !== null) return partitionForKey(typeof message.key === 'string' ? Buffer.from(message.key) : message.key, partitions);
    return sticky.next(topic, partitions, message.value?.length ?? 0);
  };
};

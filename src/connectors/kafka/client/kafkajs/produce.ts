import type { Message, Producer, Transaction } from 'kafkajs';
import type { PartitionBatch } from '../interface.ts';
import { sendPartitionBatches } from './fast-send.ts';

/**
 * The adapter's produce: per-partition batches as one kafkajs sendBatch, each message with its batch's partition
 * (an undefined partition leaves it to the producer's partitioner, weir's murmur2 and sticky choices of
 * client/partitioner.ts). Resolves when all replicas acknowledged.
 */
export async function sendBatches(sender: Producer | Transaction, batches: readonly PartitionBatch[]): Promise<void> {
  // Batches weir partitioned itself skip kafkajs's partitioner and grouping (fast-send.ts).
  if (batches.every((batch) => batch.partition !== undefined)) return sendPartitionBatches(sender, batches);
  const topics = new Map<string, Message[]>();
  for (const { topic, partition, records } of batches) {
    let messages = topics.get(topic);
    if (messages === undefined) topics.set(topic, (messages = []));
    for (const { key, value, headers, timestamp } of records) {
      const message: Message = { key, value };
      if (partition !== undefined) message.partition = partition;
      if (headers !== undefined) message.headers = headers;
      if (timestamp !== undefined) message.timestamp = String(timestamp);
      messages.push(message);
    }
  }
  await sender.sendBatch({ topicMessages: [...topics].map(([topic, messages]) => ({ topic, messages })), acks: -1 });
}

import { createRequire } from 'node:module';
import { createLogger } from '../../../../observe/logger.ts';

/**
 * kafkajs 2.2.4 groups a send's messages by partition with `[...current, message]` per message: each message copies
 * its partition's array so far, so a send of n records to one partition costs n²/2 copies (a profile of weir's sink:
 * 12% of its time at-least-once, 23% exactly-once; bench/kafka-produce.ts measures it against records per
 * partition). kafkajs is in maintenance mode, so, as with the read_committed fix (read-committed-fix.ts), weir
 * replaces the module before kafkajs loads it (kafkajs's sendMessages takes it from the CommonJS cache on first load):
 * - messages that fast-send.ts has grouped already (weir partitions records itself) come back grouped as they are:
 *   no partitioner call and no copy;
 * - anything else is grouped in one pass, pushing onto each partition's array: the same result, in linear time.
 * The grouping of a send is computed again on each of kafkajs's retries of it, so a registered grouping stays valid.
 */

interface GroupingRequest<M> {
  readonly topic: string;
  readonly partitionMetadata: readonly unknown[];
  readonly messages: M[];
  readonly partitioner: (args: { topic: string; partitionMetadata: readonly unknown[]; message: M }) => number;
}

/** A topic's messages of one send, by the array kafkajs is given, with weir's grouping of them by partition. */
export const groupedByWeir = new WeakMap<readonly object[], Record<number, readonly object[]>>();

export function groupMessagesPerPartition<M extends object>({ topic, partitionMetadata, messages, partitioner }: GroupingRequest<M>): Record<number, M[]> {
  if (partitionMetadata.length === 0) return {};
  const grouped = groupedByWeir.get(messages);
  if (grouped !== undefined) return grouped as Record<number, M[]>;
  const result: Record<number, M[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

const require = createRequire(import.meta.url);
const groupingPath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
if (require.cache[require.resolve('kafkajs/src/producer/sendMessages.js')] !== undefined && require.cache[groupingPath]?.exports !== groupMessagesPerPartition) {
  // Only speed is at stake (kafkajs's grouping gives the same batches, in quadratic time): go on, and say why it is slow.
  createLogger(undefined, { component: 'kafka-client' }).warn(
    "kafkajs was loaded before weir's Kafka connectors, so its quadratic per-partition grouping stays in use: import 'weir/kafka' before kafkajs for the faster sink",
  );
} else {
  require(groupingPath);
  const cached = require.cache[groupingPath];
  if (cached === undefined) throw new Error('kafkajs moved its per-partition grouping: check src/connectors/kafka/client/kafkajs/grouping-fix.ts against the installed kafkajs');
  cached.exports = groupMessagesPerPartition;
}

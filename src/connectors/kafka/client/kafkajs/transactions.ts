import type { Kafka, Producer, Transaction } from 'kafkajs';
import { createWeirPartitioner } from './fast-send.ts';
import type { KafkaTransaction, PartitionBatch, PartitionOffset, TransactionalProducer, TransactionalProducerOptions } from '../interface.ts';
import { sendBatches } from './produce.ts';
import { retryingKafkaErrors } from './retry.ts';

/** kafkajs reports fencing as this protocol error (old protocol versions know no PRODUCER_FENCED). */
const FENCED_ERRORS = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/**
 * A connected producer whose first transaction initialised the id: the broker fenced earlier holders and ended what
 * they left open. kafkajs has no initTransactions of its own; beginning and aborting a transaction does the same.
 */
export function takeOverTransactionalId(kafka: Kafka, options: TransactionalProducerOptions): Promise<TransactionalProducer> {
  return retryingKafkaErrors(async () => {
    const producer = kafka.producer({
      transactionalId: options.transactionalId,
      transactionTimeout: options.transactionTimeoutMs,
      // Transactions send idempotently on their own; the producer's plain sends are not used.
      idempotent: false,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // weir's partitioner (Java's for keys), as the at-least-once writer's batches: a key lands in the same partition either way.
      createPartitioner: createWeirPartitioner,
    });
    try {
      await producer.connect();
      await (await producer.transaction()).abort();
      return new KafkajsTransactionalProducer(producer, options.transactionalId);
    } catch (error) {
      await producer.disconnect().catch(() => {});
      throw error;
    }
  });
}

class KafkajsTransactionalProducer implements TransactionalProducer {
  constructor(
    private readonly producer: Producer,
    readonly transactionalId: string,
  ) {}

  async begin(): Promise<KafkaTransaction> {
    return new KafkajsTransaction(await this.producer.transaction());
  }

  isFencing(error: unknown): boolean {
    return isFencing(error);
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

class KafkajsTransaction implements KafkaTransaction {
  constructor(private readonly transaction: Transaction) {}

  send(batches: readonly PartitionBatch[]): Promise<void> {
    return sendBatches(this.transaction, batches);
  }

  async sendOffsets(groupId: string, offsets: readonly PartitionOffset[]): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const { topic, partition, offset } of offsets) {
      const partitions = byTopic.get(topic) ?? [];
      partitions.push({ partition, offset: String(offset) });
      byTopic.set(topic, partitions);
    }
    await this.transaction.sendOffsets({ consumerGroupId: groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
  }

  async commit(): Promise<void> {
    await this.transaction.commit();
  }

  async abort(): Promise<void> {
    await this.transaction.abort();
  }
}

function isFencing(error: unknown): boolean {
  for (let current = error; typeof current === 'object' && current !== null; current = (current as { cause?: unknown }).cause) {
    if (FENCED_ERRORS.has(String((current as { type?: unknown }).type))) return true;
    const original = (current as { originalError?: unknown }).originalError;
    if (original !== undefined && isFencing(original)) return true;
  }
  return false;
}

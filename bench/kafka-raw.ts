import type { Message } from 'kafkajs';
import { Partitioners } from '../src/connectors/kafka/client/kafkajs/load.ts';
import { kafkajsClient } from '../src/connectors/kafka/client/kafkajs/connection.ts';
import { createKafkaClient, resolveBrokers } from '../src/connectors/kafka/client/index.ts';
import { untilConsumed, type Click } from './kafka-topics.ts';

/**
 * The baseline: what a plain kafkajs app does without weir. One consumer reads the input batch-wise (eachBatch), keeps
 * a running count per user in a Map (the same work as the weir job, without fault tolerance for the counts), and
 * sends each batch's counts through an idempotent producer before returning (kafkajs then commits the batch's
 * offsets: at-least-once). Same client settings as weir's kafkajs adapter (kafkajsClient).
 */
export interface RawSpec {
  readonly brokers: string;
  readonly input: string;
  readonly output: string;
  readonly groupId: string;
  /** kafkajs `partitionsConsumedConcurrently`: with more than 1, one partition's batch is parsed while another's is sent. */
  readonly concurrency: number;
  /**
   * Records per sendBatch. A fetched batch (~20,000 records of one partition) goes to one output partition here (same
   * key, same partition count), and kafkajs groups a send's records by partition copying the partition's array per
   * record (quadratic): one send of 20,000 ran at ~8,000 records/s and broke the broker's 1 MB request limit; a
   * producer alone sent chunks of 1,000-5,000 at ~65,000 records/s.
   */
  readonly chunk: number;
}

export interface RawResult {
  readonly records: number;
  /** From the first record consumed to the last send acknowledged. */
  readonly runningMs: number;
}

export async function runRaw(spec: RawSpec): Promise<RawResult> {
  const client = createKafkaClient({ brokers: spec.brokers, clientId: 'weir-bench-raw' });
  const kafka = kafkajsClient(resolveBrokers(spec.brokers), 'weir-bench-raw');
  const admin = await client.admin();
  const ends = await admin.offsetRange(spec.input);
  await admin.close();
  const open = new Set([...ends].filter(([, { low, high }]) => high > low).map(([partition]) => partition));
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({ groupId: spec.groupId, maxWaitTimeInMs: 100 });
  const counts = new Map<string, number>();
  let records = 0;
  let firstAt: number | undefined;
  let lastAt = 0;
  const { done, finish: finished } = untilConsumed(consumer);
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [spec.input], fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: spec.concurrency,
      eachBatch: async ({ batch }) => {
        firstAt ??= performance.now();
        for (let start = 0; start < batch.messages.length; start += spec.chunk) {
          const messages: Message[] = [];
          for (const message of batch.messages.slice(start, start + spec.chunk)) {
            const { user, n } = JSON.parse(message.value!.toString('utf8')) as Click;
            const count = (counts.get(user) ?? 0) + n;
            counts.set(user, count);
            messages.push({ key: user, value: JSON.stringify({ user, n: count } satisfies Click) });
          }
          // One send at a time: kafkajs reads an idempotent partition's sequence number when it builds a request.
          await producer.sendBatch({ topicMessages: [{ topic: spec.output, messages }], acks: -1 });
          records += messages.length;
        }
        if (Number(batch.lastOffset()) + 1 >= ends.get(batch.partition)!.high) open.delete(batch.partition);
        if (open.size === 0) {
          lastAt = performance.now();
          finished();
        }
      },
    });
    if (open.size > 0) await done;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await client.close();
  }
  return { records, runningMs: firstAt === undefined ? 0 : lastAt - firstAt };
}

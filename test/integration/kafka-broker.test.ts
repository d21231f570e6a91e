/** The local test broker (src/testing/kafka/broker.ts) speaks what kafkajs needs: plain produce/consume, transactions, transactional offsets. */
import type { Consumer, Kafka } from 'kafkajs';
import { Partitioners, logLevel } from '../../src/connectors/kafka/client/kafkajs/load.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTopic, kafkaBrokers, kafkaClient, topicOffsets, uniqueTopic } from '../fixtures/kafka.ts';

/** Consumes `topic` from the beginning until `done(values)` holds; returns the values in arrival order. */
async function consumeUntil(consumer: Consumer, topic: string, done: (values: string[]) => boolean, timeoutMs = 20_000): Promise<string[]> {
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${values.length} messages of ${topic} in ${timeoutMs} ms: ${values.slice(-5).join(',')}`)), timeoutMs);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          values.push(message.value?.toString() ?? '');
          if (done(values)) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return values;
}

describe('local Kafka broker', () => {
  let brokers: string[];
  let kafka: Kafka;

  beforeAll(() => {
    brokers = kafkaBrokers();
    // kafkajs logs retriable errors at ERROR level: NOT_COORDINATOR while __transaction_state is created, and
    // CONCURRENT_TRANSACTIONS when a transaction starts before the previous one's markers are written. Both are retried.
    kafka = kafkaClient(brokers, 'weir-broker-smoke', logLevel.NOTHING);
  });

  it('produces 1,000 messages to 3 partitions and consumes them all back', async () => {
    const topic = uniqueTopic('smoke');
    await createTopic(brokers, topic, 3);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let batch = 0; batch < 10; batch++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 100 }, (_, i) => ({ key: `key-${batch * 100 + i}`, value: String(batch * 100 + i) })),
      });
    }
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await topicOffsets(admin, topic);
    await admin.disconnect();
    expect(offsets).toHaveLength(3);
    expect(offsets.every((partition) => Number(partition.high) > 0)).toBe(true);
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(1000);

    const values = await consumeUntil(kafka.consumer({ groupId: uniqueTopic('smoke-group') }), topic, (seen) => seen.length >= 1000);
    expect(values).toHaveLength(1000);
    expect(new Set(values)).toEqual(new Set(Array.from({ length: 1000 }, (_, i) => String(i))));
  });

  describe('transactions', () => {
    const topic = uniqueTopic('tx');
    const group = uniqueTopic('tx-group');

    beforeAll(async () => {
      await createTopic(brokers, topic, 1);
      const producer = kafka.producer({
        transactionalId: uniqueTopic('tx-id'),
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      const send = async (prefix: string, from: number, end: 'commit' | 'abort', offset?: string): Promise<void> => {
        const transaction = await producer.transaction();
        await transaction.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `${prefix}${from + i}` })) });
        if (offset !== undefined) await transaction.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [{ partition: 0, offset }] }] });
        await (end === 'commit' ? transaction.commit() : transaction.abort());
      };
      await send('committed-', 0, 'commit');
      await send('aborted-', 0, 'abort', '7');
      await send('committed-', 10, 'commit', '42');
      await producer.disconnect();
    });

    it('a read-committed consumer sees exactly the committed messages', async () => {
      const admin = kafka.admin();
      await admin.connect();
      const [partition] = await topicOffsets(admin, topic);
      await admin.disconnect();
      expect(partition?.high).toBe('33'); // 30 records and 3 transaction markers: the aborted records are in the log

      const committed = Array.from({ length: 20 }, (_, i) => `committed-${i}`);
      const values = await consumeUntil(kafka.consumer({ groupId: uniqueTopic('tx-reader'), readUncommitted: false }), topic, (seen) => seen.includes('committed-19'));
      expect(values).toEqual(committed);
    });

    it('commits a group offset inside a transaction (sendOffsets), and not the aborted one', async () => {
      const admin = kafka.admin();
      await admin.connect();
      // The coordinator writes the commit markers after it answers EndTxn, so the offset may take a moment to appear.
      let offset: string | undefined;
      for (let attempt = 0; attempt < 50 && offset !== '42'; attempt++) {
        const [result] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        offset = result?.partitions.find((p) => p.partition === 0)?.offset;
        if (offset !== '42') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await admin.disconnect();
      expect(offset).toBe('42');
    });
  });

});

import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import { partitionForKey } from '../../src/connectors/kafka/client/partitioner.ts';
import type { Click, KafkaCountParams } from '../fixtures/kafka-count-job.ts';
import { createTopic, kafkaBrokers, kafkaClient, topicOffsets, uniqueTopic } from '../fixtures/kafka.ts';

const JOB = fileURLToPath(new URL('../fixtures/kafka-count-job.ts', import.meta.url));

/** Every record of a topic, read with read_committed from the beginning up to its end offsets now. */
async function readAll(brokers: string[], topic: string): Promise<{ key: string; value: unknown; partition: number }[]> {
  const kafka = kafkaClient(brokers);
  const a = kafka.admin();
  await a.connect();
  const ends = await topicOffsets(a, topic);
  await a.disconnect();
  const remaining = new Map(ends.filter(({ high, low }) => Number(high) > Number(low)).map(({ partition, high }) => [partition, Number(high)]));
  const out: { key: string; value: unknown; partition: number }[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: uniqueTopic('verify') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          out.push({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()), partition });
          if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
          if (remaining.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out;
}

describe('Kafka source and sink on a real broker', () => {
  it('reads every partition once across subtasks, counts per key, writes the counts, and commits offsets with the checkpoint id', { timeout: 120_000 }, async () => {
    const brokers = kafkaBrokers();
    const input = uniqueTopic('clicks');
    const output = uniqueTopic('counts');
    const groupId = uniqueTopic('group');
    await createTopic(brokers, input, 5);
    await createTopic(brokers, output, 2);
    const producer = kafkaClient(brokers).producer();
    await producer.connect();
    const users = ['ann', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus'];
    const clicks: Click[] = Array.from({ length: 6_000 }, (_, i) => ({ user: users[i % users.length]!, n: (i % 3) + 1 }));
    for (let at = 0; at < clicks.length; at += 1_000) {
      await producer.send({ topic: input, messages: clicks.slice(at, at + 1_000).map((click) => ({ key: click.user, value: JSON.stringify(click) })) });
    }
    await producer.disconnect();

    const params: KafkaCountParams = { brokers: brokers.join(','), input, output, groupId, parallelism: 2, checkpointIntervalMs: 50 };
    const result = await runJob({ jobModule: JOB, params, threads: 2 });

    const expected = new Map<string, number>();
    for (const click of clicks) expected.set(click.user, (expected.get(click.user) ?? 0) + click.n);
    const collected = result.outputs.get('counts') as Click[];
    expect(collected).toHaveLength(clicks.length);
    const written = await readAll(brokers, output);
    expect(written).toHaveLength(clicks.length);
    const finalByUser = new Map<string, number>();
    for (const { key, value } of written) finalByUser.set(key, Math.max(finalByUser.get(key) ?? 0, (value as Click).n));
    expect(finalByUser).toEqual(expected);
    // Keyed records of one user land in one partition, in order: its counts only grow.
    const partitionsByUser = new Map<string, Set<number>>();
    for (const { key, partition } of written) partitionsByUser.set(key, (partitionsByUser.get(key) ?? new Set()).add(partition));
    for (const partitions of partitionsByUser.values()) expect(partitions.size).toBe(1);
    // ... the partition Java's default partitioner picks for the key (partitionForKey is checked against Java's murmur2).
    for (const [user, partitions] of partitionsByUser) expect([...partitions]).toEqual([partitionForKey(Buffer.from(user), 2)]);
    const lastByUser = new Map<string, number>();
    for (const { key, value } of written) {
      expect((value as Click).n).toBeGreaterThan(lastByUser.get(key) ?? 0);
      lastByUser.set(key, (value as Click).n);
    }

    const a = kafkaClient(brokers).admin();
    await a.connect();
    const [committed] = await a.fetchOffsets({ groupId, topics: [input] });
    const ends = await topicOffsets(a, input);
    expect(new Map(committed!.partitions.map(({ partition, offset }) => [partition, Number(offset)]))).toEqual(
      new Map(ends.map(({ partition, high }) => [partition, Number(high)])),
    );
    for (const { metadata } of committed!.partitions) expect(metadata).toMatch(/^weir checkpoint \d+$/);
    await a.disconnect();
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { IHeaders } from 'kafkajs';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import { deserializers, type KafkaRecordView } from 'weir/kafka';
import { describeError } from '../../src/core/errors.ts';
import type { KafkaDeadLetterParams, TimedClick } from '../fixtures/kafka-dead-letter-job.ts';
import { createTopic, kafkaBrokers, kafkaClient, readTopic, uniqueTopic } from '../fixtures/kafka.ts';
import { runWeir } from '../fixtures/weir-process.ts';

const JOB = fileURLToPath(new URL('../fixtures/kafka-dead-letter-job.ts', import.meta.url));
const PARTITIONS = 3;
const USERS = ['ann', 'bob', 'cy', 'dee', 'eve'];

type Entry = { readonly kind: 'click'; readonly click: TimedClick } | { readonly kind: 'poison'; readonly value: Buffer | null; readonly reason: string };

/** What the job must say about a poison value: the JSON deserializer's error, else the timestamp assigner's. */
function reasonOf(value: Buffer | null): string {
  const view: KafkaRecordView = { topic: 't', partition: 0, offset: 0, timestamp: 0, key: null, value, headers: {} };
  try {
    deserializers.json<TimedClick>()(view);
  } catch (error) {
    return describeError(error);
  }
  return 'BadRecordError: the timestamp assigner returned soon: event time must be a number (ms)';
}

const poisonValues: fc.Arbitrary<Buffer | null> = fc.oneof(
  // 0xff is no UTF-8, so never JSON whatever follows.
  fc.uint8Array({ maxLength: 24 }).map((tail) => Buffer.concat([Buffer.from([0xff]), tail])),
  fc.constant(Buffer.from('{"user":"ann","n":')),
  fc.constant(Buffer.alloc(0)),
  fc.constant(null),
  fc.constant(Buffer.from('{"user":"ann","n":1,"at":"soon"}')),
);
const poison: fc.Arbitrary<Entry> = poisonValues.map((value) => ({ kind: 'poison', value, reason: reasonOf(value) }));
const click: fc.Arbitrary<Entry> = fc.record({ user: fc.constantFrom(...USERS), n: fc.integer({ min: 1, max: 5 }) }).map((c) => ({ kind: 'click', click: c }));
const partitionLog = fc.array(fc.oneof({ weight: 12, arbitrary: click }, { weight: 1, arbitrary: poison }), { minLength: 20, maxLength: 300 });

/** Writes each partition's entries in order to that partition of a fresh topic: entry i is at offset i. */
async function produce(brokers: string[], topic: string, logs: readonly (readonly Entry[])[]): Promise<void> {
  const producer = kafkaClient(brokers).producer();
  await producer.connect();
  try {
    for (const [partition, entries] of logs.entries()) {
      const [sent] = await producer.send({
        topic,
        acks: -1,
        messages: entries.map((entry, offset) =>
          entry.kind === 'click'
            ? { partition, key: entry.click.user, value: JSON.stringify(entry.click) }
            : { partition, key: `bad-${partition}-${offset}`, value: entry.value, headers: { origin: 'test' } },
        ),
      });
      expect(sent?.baseOffset).toBe('0');
    }
  } finally {
    await producer.disconnect();
  }
}

describe('dead letters from a Kafka source', () => {
  it('poison records at random offsets reach the dead-letter topic with their coordinates, and the job goes on', { timeout: 300_000 }, async () => {
    const brokers = kafkaBrokers();
    const edges: Entry[] = [{ kind: 'poison', value: null, reason: reasonOf(null) }, ...Array.from({ length: 20 }, (): Entry => ({ kind: 'click', click: { user: 'ann', n: 1 } }))];
    const atEdges = [edges, [...edges].reverse(), edges];
    await fc.assert(
      fc.asyncProperty(fc.tuple(partitionLog, partitionLog, partitionLog), fc.boolean(), async (logs, exactlyOnce) => {
        const input = uniqueTopic('dl-in');
        const deadLetterTopic = uniqueTopic('dl-out');
        await createTopic(brokers, input, PARTITIONS);
        await createTopic(brokers, deadLetterTopic, 2);
        await produce(brokers, input, logs);

        const params: KafkaDeadLetterParams = { brokers: brokers.join(','), input, deadLetterTopic, groupId: uniqueTopic('dl'), parallelism: 2, checkpointIntervalMs: 50, exactlyOnce };
        // WEIR_LOG_LEVEL=warn shows why an attempt restarted.
        const result = await runJob({ jobModule: JOB, params, threads: 2 });

        const poisons = logs.flatMap((entries, partition) =>
          entries.flatMap((entry, offset) => (entry.kind === 'poison' ? [{ partition, offset, value: entry.value, reason: entry.reason }] : [])),
        );
        const where = `${exactlyOnce ? 'exactly-once' : 'at-least-once'}, poison at ${poisons.map(({ partition, offset }) => `${partition}/${offset}`).join(', ') || 'no offset'}`;
        expect(result.restarts, where).toBe(0);

        const clicks = logs.flat().flatMap((entry) => (entry.kind === 'click' ? [entry.click] : []));
        const expected = new Map<string, number>();
        for (const c of clicks) expected.set(c.user, (expected.get(c.user) ?? 0) + c.n);
        const counts = result.outputs.get('counts') as TimedClick[];
        expect(counts, where).toHaveLength(clicks.length);
        const finalByUser = new Map<string, number>();
        for (const c of counts) finalByUser.set(c.user, Math.max(finalByUser.get(c.user) ?? 0, c.n));
        expect(finalByUser, where).toEqual(expected);

        // Dead letters crossed threads (weir's codec turns Buffers into Uint8Arrays) from some source subtask.
        const threadsOf = (operator: string) => new Set(result.operators.filter((o) => o.operator === operator).map((o) => o.threadId));
        const sinkThreads = threadsOf(`kafka:${deadLetterTopic}`);
        expect([...threadsOf('clicks')].some((thread) => !sinkThreads.has(thread))).toBe(true);

        const header = (headers: IHeaders | undefined, name: string) => headers?.[name]?.toString();
        const letters = (await readTopic(brokers, deadLetterTopic)).map(({ message }) => ({
          topic: header(message.headers, 'weir.dlq.topic'),
          partition: Number(header(message.headers, 'weir.dlq.partition')),
          offset: Number(header(message.headers, 'weir.dlq.offset')),
          reason: header(message.headers, 'weir.dlq.reason'),
          operator: header(message.headers, 'weir.dlq.operator'),
          origin: header(message.headers, 'origin'),
          key: message.key?.toString(),
          value: message.value === null ? null : message.value.toString('hex'),
        }));
        const order = (a: { partition: number; offset: number }, b: { partition: number; offset: number }) => a.partition - b.partition || a.offset - b.offset;
        expect(letters.sort(order), where).toEqual(
          poisons.map(({ partition, offset, value, reason }) => ({
            topic: input,
            partition,
            offset,
            reason,
            operator: 'clicks',
            origin: 'test',
            key: `bad-${partition}-${offset}`,
            value: value === null ? null : value.toString('hex'),
          })),
        );
      }),
      // A run is a job on a real broker: a few runs, no shrinking, and one with poison at each partition's first and last offsets.
      { numRuns: 3, endOnFailure: true, examples: [[atEdges as [Entry[], Entry[], Entry[]], true]] },
    );
  });

  it('without the dead-letter side output, a poison record fails the job naming its topic, partition and offset', { timeout: 120_000 }, async () => {
    const brokers = kafkaBrokers();
    const input = uniqueTopic('dl-fail');
    await createTopic(brokers, input, PARTITIONS);
    const good: Entry = { kind: 'click', click: { user: 'ann', n: 1 } };
    await produce(brokers, input, [[good], [good, good, { kind: 'poison', value: Buffer.from('not json'), reason: '' }, good], [good]]);
    const params: KafkaDeadLetterParams = { brokers: brokers.join(','), input, groupId: uniqueTopic('dl'), parallelism: 2 };
    await expect(runJob({ jobModule: JOB, params, threads: 2 })).rejects.toThrow(
      new RegExp(`operator 'clicks' .*bad record in Kafka topic ${input} partition 1 at offset 2: SyntaxError`),
    );
  });

  it('a poison record without the dead-letter side output fails the job at once, not after minutes of restarts', { timeout: 180_000 }, async () => {
    const brokers = kafkaBrokers();
    const input = uniqueTopic('dl-fatal');
    await createTopic(brokers, input, PARTITIONS);
    const good: Entry = { kind: 'click', click: { user: 'ann', n: 1 } };
    await produce(brokers, input, [[good], [good, { kind: 'poison', value: Buffer.from('{"user":'), reason: '' }, good], [good]]);
    // Checkpoints on and the default restart strategy: before, the same record failed 10 attempts over 5.6 minutes.
    const params: KafkaDeadLetterParams = { brokers: brokers.join(','), input, groupId: uniqueTopic('dl'), parallelism: 2, checkpointIntervalMs: 100, defaultRestartStrategy: true };
    const began = Date.now();
    const outcome = await runWeir(['run', JOB, '--params', JSON.stringify(params)]);
    const seconds = (Date.now() - began) / 1_000;
    expect(outcome.code, outcome.stderr).toBe(1);
    const summary = outcome.stderr.trim().split('\n').filter((line) => line.startsWith('weir: job'));
    expect(summary).toEqual([expect.stringMatching(new RegExp(`^weir: job 'kafka-dead-letters' failed: .*bad record in Kafka topic ${input} partition 1 at offset 1: SyntaxError`))]);
    // One attempt: the default strategy's first restart would log this and wait a second.
    expect(outcome.stderr).not.toMatch(/restarting after/);
    // The broker, the job's start and its failure; a restart loop takes minutes.
    expect(seconds).toBeLessThan(60);
  });
});

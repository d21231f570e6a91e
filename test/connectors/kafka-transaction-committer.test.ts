import { describe, expect, it } from 'vitest';
import type { SinkContext } from '../../src/connectors/sink.ts';
import { encodeEpoch, type KafkaEpoch } from '../../src/connectors/kafka/epoch-writer.ts';
import { KafkaTransactionCommitter, type TransactionSettings } from '../../src/connectors/kafka/transaction-committer.ts';
import { isFatal, type WeirError } from '../../src/core/errors.ts';
import { createTopic, kafkaBrokers, readTopic, uniqueTopic } from '../fixtures/kafka.ts';

const context = (subtaskIndex: number): SinkContext => ({
  jobName: 'test',
  jobId: 'committer-test',
  runId: '00000000000r1',
  instanceId: '00000000000i1',
  operatorName: 'sink',
  operatorId: 'sink',
  checkpointIntervalMs: 1_000,
  subtaskIndex,
  parallelism: 2,
  threadId: 0,
});

function epoch(owner: number, id: number, topic: string, values: readonly string[]): KafkaEpoch {
  return encodeEpoch(owner, id, values.map((value) => ({ topic, message: { key: value, value } })));
}

async function setUp(): Promise<{ topic: string; settings: TransactionSettings }> {
  const brokers = kafkaBrokers();
  const topic = uniqueTopic('committer');
  await createTopic(brokers, topic, 2);
  return { topic, settings: { brokers, transactionalIdPrefix: uniqueTopic('weir-test'), transactionTimeoutMs: 30_000, markerTopic: topic } };
}

const valuesIn = async (topic: string): Promise<string[]> =>
  (await readTopic(kafkaBrokers(), topic)).map(({ message }) => message.value!.toString('utf8')).sort();

describe('KafkaTransactionCommitter on a real broker', () => {
  it('publishes an epoch once: a restore that finds its marker skips it, and epochs from another subtask go under their own id', async () => {
    const { topic, settings } = await setUp();
    const first = new KafkaTransactionCommitter(settings, context(0), 0);
    await first.open();
    await first.commit([epoch(0, 1, topic, ['a', 'b']), epoch(0, 2, topic, ['c'])]);
    await first.close();

    // As after a crash between the publish and the operator learning of it: checkpoint 2's epochs come again.
    const restored = new KafkaTransactionCommitter(settings, context(0), 2);
    await restored.open();
    await restored.commit([epoch(0, 2, topic, ['c']), epoch(1, 2, topic, ['d'])]);
    await restored.commit([epoch(0, 3, topic, ['e'])]);
    await restored.close();
    expect(await valuesIn(topic)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('refuses to start behind a marker: output of a newer checkpoint than the restored one is already published', async () => {
    const { topic, settings } = await setUp();
    const ahead = new KafkaTransactionCommitter(settings, context(0), 0);
    await ahead.open();
    await ahead.commit([epoch(0, 5, topic, ['x'])]);
    await ahead.close();
    const behind = new KafkaTransactionCommitter(settings, context(0), 3);
    await expect(behind.open()).rejects.toThrow(/has published the output of checkpoint 5, but this run restored checkpoint 3/);
    await behind.close();
  });

  it('a second committer with the same transactional id fences the first, whose next commit fails as fenced and publishes nothing', async () => {
    const { topic, settings } = await setUp();
    const zombie = new KafkaTransactionCommitter(settings, context(0), 0);
    await zombie.open();
    await zombie.commit([epoch(0, 1, topic, ['before'])]);
    const successor = new KafkaTransactionCommitter(settings, context(0), 1);
    await successor.open();
    const failure = await zombie.commit([epoch(0, 2, topic, ['zombie'])]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String(failure)).toMatch(/taken over by another instance of job 'committer-test' \(fenced\)/);
    // Not fatal by itself: the job's checkpoint claim decides which instance stops (runJob).
    expect((failure as WeirError).code).toBe('WEIR_FENCED');
    expect(isFatal(failure)).toBe(false);
    await successor.commit([epoch(0, 2, topic, ['successor'])]);
    await Promise.all([zombie.close(), successor.close()]);
    expect(await valuesIn(topic)).toEqual(['before', 'successor']);
  });

  it('checks the transaction timeout against the broker cap and the checkpoint interval at start', async () => {
    const { settings } = await setUp();
    const tooLong = new KafkaTransactionCommitter({ ...settings, transactionTimeoutMs: 3_600_000 }, context(0), 0);
    const error = await tooLong.open().then(() => undefined, (caught: unknown) => caught);
    expect(String(error)).toMatch(/transactionTimeoutMs \(3600000\) is above the broker's transaction.max.timeout.ms \(900000\)/);
    expect(isFatal(error)).toBe(true);
    await tooLong.close();
    const tooShort = new KafkaTransactionCommitter({ ...settings, transactionTimeoutMs: 500 }, context(0), 0);
    await expect(tooShort.open()).rejects.toThrow(/transactionTimeoutMs \(500\) is below the checkpoint interval \(1000 ms\)/);
    await tooShort.close();
  });
});

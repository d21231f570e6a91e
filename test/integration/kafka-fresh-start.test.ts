import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Click, KafkaCountParams } from '../fixtures/kafka-count-job.ts';
import { createTopic, kafkaBrokers, kafkaClient, produceRecords, readTopic, uniqueTopic } from '../fixtures/kafka.ts';
import { runWeir } from '../fixtures/weir-process.ts';

const JOB = 'test/fixtures/kafka-count-job.ts';
const USERS = ['ann', 'bob', 'cy', 'dee'];
const dir = mkdtempSync(join(tmpdir(), 'weir-fresh-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clicks = (from: number, count: number): Click[] => Array.from({ length: count }, (_, i) => ({ user: USERS[(from + i) % USERS.length]!, n: 1 }));
const produce = (brokers: string[], topic: string, batch: Click[]) =>
  produceRecords(brokers, topic, batch.map((click) => ({ key: click.user, value: JSON.stringify(click) })));
const countsWritten = async (brokers: string[], topic: string): Promise<Click[]> =>
  (await readTopic(brokers, topic)).map(({ message }) => JSON.parse(message.value!.toString()) as Click);

describe('a start with empty state over offsets an earlier run committed', () => {
  it('is refused at once, in one line, writing nothing; --allow-fresh-start starts from those offsets', { timeout: 240_000 }, async () => {
    const brokers = kafkaBrokers();
    const input = uniqueTopic('fresh-in');
    const output = uniqueTopic('fresh-out');
    const groupId = uniqueTopic('fresh-group');
    await createTopic(brokers, input, 2);
    await createTopic(brokers, output, 2);
    const first = clicks(0, 400);
    await produce(brokers, input, first);
    // The source's default start: the group's committed offsets.
    const params: KafkaCountParams = { brokers: brokers.join(','), input, output, groupId, parallelism: 2, checkpointIntervalMs: 100, startFrom: 'committed' };
    const run = (checkpointDir: string | undefined, ...more: string[]) =>
      runWeir(['run', JOB, ...(checkpointDir === undefined ? [] : ['--checkpoint-dir', checkpointDir]), '--params', JSON.stringify(params), ...more], {
        WEIR_LOG_LEVEL: 'info',
      });

    const earlier = await run(join(dir, 'earlier'));
    expect(earlier.code, earlier.stderr).toBe(0);
    expect(await countsWritten(brokers, output)).toHaveLength(first.length);
    const admin = kafkaClient(brokers).admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [input] });
    await admin.disconnect();
    const checkpoints = committed!.partitions.map(({ metadata }) => /^weir checkpoint (\d+)$/.exec(metadata ?? '')?.[1]);
    expect(checkpoints.every((id) => id !== undefined)).toBe(true);

    // The earlier run's checkpoints are gone (another directory), new input arrived.
    const second = clicks(first.length, 100);
    await produce(brokers, input, second);
    const started = Date.now();
    const refused = await run(join(dir, 'other'));
    expect(refused.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    const lines = refused.stderr.split('\n').filter((line) => line.startsWith('weir: '));
    expect(lines, refused.stderr).toHaveLength(1);
    const message = lines[0]!;
    expect(message).toContain(`Kafka consumer group '${groupId}'`);
    expect(message).toContain(`topic ${input} partitions 0 at`);
    expect(message).toContain(`checkpoint ${checkpoints[0]}`);
    for (const remedy of ['--checkpoint-dir', '--from-savepoint', '--allow-fresh-start', "startFrom 'earliest'"]) expect(message).toContain(remedy);
    // Refused before any attempt: no restart, nothing written.
    expect(refused.stderr).not.toContain('restarting after');
    expect(refused.stderr).not.toContain('"msg":"job finished"');
    expect(await countsWritten(brokers, output)).toHaveLength(first.length);
    // The same without a checkpoint directory (temporary checkpoints).
    const undirected = await run(undefined);
    expect(undirected.code).toBe(1);
    expect(undirected.stderr).toContain(`no --checkpoint-dir, no savepoint), but an earlier run of it has read its input: Kafka consumer group '${groupId}'`);
    expect(await countsWritten(brokers, output)).toHaveLength(first.length);

    // Told to, it starts from the committed offsets with empty state: only the new input, counted from zero.
    const fresh = await run(join(dir, 'other'), '--allow-fresh-start');
    expect(fresh.code, fresh.stderr).toBe(0);
    const written = await countsWritten(brokers, output);
    expect(written).toHaveLength(first.length + second.length);
    const upTo = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);
    for (const user of USERS) {
      const counts = written.filter((click) => click.user === user).map((click) => click.n);
      // 1..100 from the earlier run, then 1..25 again: the new records, and none of the earlier ones, on empty state.
      expect(counts.sort((a, b) => a - b)).toEqual([...upTo(first.length / USERS.length), ...upTo(second.length / USERS.length)].sort((a, b) => a - b));
    }
  });
});

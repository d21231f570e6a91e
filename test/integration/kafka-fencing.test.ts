import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, kafkaBrokers, kafkaClient, topicOffsets, uniqueTopic } from '../fixtures/kafka.ts';
import { expectExactlyOnceOutput, produceSequencedInput } from '../fixtures/kafka-exactly-once-check.ts';
import type { KafkaExactlyOnceSpec } from '../fixtures/kafka-exactly-once-job.ts';
import { runWeir } from '../fixtures/weir-process.ts';
import { sleep } from '../../src/core/signal.ts';

const JOB = 'test/fixtures/kafka-exactly-once-job.ts';
const EVENTS = 6_000;
const KEYS = 11;

const workDirs: string[] = [];
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** Resolves once the topic holds some records (the first instance has published an epoch). */
async function untilOutputStarts(brokers: string[], topic: string, timeoutMs: number): Promise<void> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const offsets = await topicOffsets(admin, topic);
      if (offsets.some(({ high }) => Number(high) > 0)) return;
      if (Date.now() > deadline) throw new Error(`the first instance published nothing to ${topic} in ${timeoutMs} ms`);
      await sleep(100);
    }
  } finally {
    await admin.disconnect();
  }
}

describe('a second instance of an exactly-once Kafka job', () => {
  it('fences the first, which stops with the reason, and the output stays exactly-once', { timeout: 180_000 }, async () => {
    const brokers = kafkaBrokers();
    const dir = mkdtempSync(join(tmpdir(), 'weir-kafka-fencing-'));
    workDirs.push(dir);
    const inputTopic = uniqueTopic('fence-in');
    const outputTopic = uniqueTopic('fence-out');
    await produceSequencedInput(brokers, inputTopic, EVENTS, KEYS, 4);
    await createTopic(brokers, outputTopic, 2);
    const spec: KafkaExactlyOnceSpec = {
      pipeline: 'keyed',
      windowMs: 100,
      checkpointIntervalMs: 100,
      // About sixteen seconds of work per subtask: the second instance, which takes the job over only once it has
      // loaded and checked the first one's checkpoint, comes while the first is midway.
      spinMsPer16: (16 * 32_000) / EVENTS,
      brokers: brokers.join(','),
      inputTopic,
      outputTopic,
      groupId: uniqueTopic('fence-group'),
    };
    // The same job id and checkpoint directory: what a second container of the same deployment would get.
    const args = ['run', JOB, '--parallelism', '2', '--job-id', 'fenced-job', '--checkpoint-dir', join(dir, 'checkpoints'), '--params', JSON.stringify(spec)];

    const first = runWeir(args);
    await untilOutputStarts(brokers, outputTopic, 60_000);
    const second = runWeir(args);
    const [firstOutcome, secondOutcome] = await Promise.all([first, second]);

    expect(secondOutcome.code, `the second instance failed: ${secondOutcome.stderr}`).toBe(0);
    expect(firstOutcome.code, 'the first instance should have been fenced, not finished').not.toBe(0);
    // Whichever it meets first: the second instance's claim on the checkpoints, or its Kafka transactional ids.
    expect(firstOutcome.stderr).toMatch(/another instance of job 'fenced-job' took over its checkpoints|taken over by another instance of job 'fenced-job' \(fenced\)/);
    await expectExactlyOnceOutput(brokers, outputTopic, { pipeline: 'keyed', events: EVENTS, keys: KEYS, windowMs: spec.windowMs });
  });
});

import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Message } from 'kafkajs';
import { runJob } from 'weir/testing';
import { MAX_OUT_OF_ORDERNESS_MS, type ScoresKafkaParams, type WindowScore } from '../../examples/feedback-scores-kafka.ts';
import { exampleRatings, expectedScores, JITTER_MS, scoresByWindow } from '../fixtures/example-ratings.ts';
import { createTopic, kafkaBrokers, produceRecords, readTopic, uniqueTopic } from '../fixtures/kafka.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/feedback-scores-kafka.ts', import.meta.url));
const RATINGS = 3_000;
const POISON = [Buffer.from('not json'), Buffer.from('{"answerId":7,"stars":'), Buffer.from([0xff, 0xfe, 0x00])];

describe('examples/feedback-scores-kafka.ts', () => {
  it('publishes each window of each model version once, with its count and mean, and dead-letters the poison records', { timeout: 120_000 }, async () => {
    expect(JITTER_MS).toBeLessThan(MAX_OUT_OF_ORDERNESS_MS);
    const brokers = kafkaBrokers();
    const feedbackTopic = uniqueTopic('example-feedback');
    const scoresTopic = uniqueTopic('example-scores');
    const deadLetterTopic = uniqueTopic('example-dlq');
    await Promise.all([createTopic(brokers, feedbackTopic, 4), createTopic(brokers, scoresTopic, 2), createTopic(brokers, deadLetterTopic, 1)]);

    const valid = exampleRatings(RATINGS);
    const messages: Message[] = valid.map((rating) => ({ key: String(rating.answerId), value: JSON.stringify(rating) }));
    // Poison among the ratings, at the start, in the middle and at the end.
    POISON.forEach((value, i) => messages.splice(Math.floor((i * messages.length) / (POISON.length - 1)), 0, { key: `poison-${i}`, value }));
    await produceRecords(brokers, feedbackTopic, messages);

    const params: ScoresKafkaParams = { brokers: brokers.join(','), feedbackTopic, scoresTopic, deadLetterTopic, bounded: true };
    const result = await runJob({ jobModule: EXAMPLE, params, parallelism: 2, threads: 2 });
    expect(result.restarts).toBe(0);
    expect(result.operators.reduce((sum, o) => sum + o.lateRecordsDropped, 0)).toBe(0);

    const published = await readTopic(brokers, scoresTopic);
    const scores = published.map(({ message }) => {
      const score = JSON.parse(message.value!.toString()) as WindowScore;
      expect(message.key?.toString()).toBe(score.modelVersion);
      return score;
    });
    expect(scores.reduce((sum, s) => sum + s.ratings, 0)).toBe(RATINGS);
    expect(scoresByWindow(scores)).toEqual(expectedScores(valid));

    const letters = await readTopic(brokers, deadLetterTopic);
    expect(letters.map(({ message }) => message.value!.toString('hex')).sort()).toEqual(POISON.map((value) => value.toString('hex')).sort());
    for (const { message } of letters) {
      expect(message.key?.toString()).toMatch(/^poison-\d$/);
      expect(message.headers?.['weir.dlq.topic']?.toString()).toBe(feedbackTopic);
      expect(message.headers?.['weir.dlq.reason']?.toString()).toMatch(/SyntaxError/);
    }
  });
});

// examples/feedback-scores-kafka.ts proved exactly-once under generated faults on a Kafka broker of the test's own
// (Java 17+; kafkaIo starts it at the first run and restarts or pauses it for the Kafka faults).
import { afterAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { checkExactlyOnce, createTopic, faultSchedules, kafkaIo, tallyFaults, type CheckReport, type FaultSchedule } from 'weir/testing';
import { MODEL_VERSIONS, type Rating, type WindowScore } from '../feedback-scores-kafka.ts';

const job = new URL('../feedback-scores-kafka.ts', import.meta.url);
const DEAD_LETTERS = 'feedback-check-dlq';
// The example keeps its own param names: kafkaIo's topics, group and transactional id prefix are mapped onto them.
const io = kafkaIo<Rating, WindowScore>({
  key: (rating) => String(rating.answerId),
  timestamp: (rating) => rating.ts,
  outageMs: 1_000,
  params: ({ brokers, inputTopic, outputTopic, groupId, transactionalIdPrefix }) => ({
    brokers: brokers.join(','),
    feedbackTopic: inputTopic,
    scoresTopic: outputTopic,
    deadLetterTopic: DEAD_LETTERS,
    groupId,
    transactionalIdPrefix,
    bounded: true,
    checkpointMs: 100,
  }),
});
const START = Date.UTC(2026, 0, 1);
// Ten minutes of ratings, a hundred a second, each up to 3 s late (within the example's 5 s bound): none is dropped.
// Enough of them that reading takes several checkpoints, so that windows close and publish all through the run and
// faults fall between those publications (with a few hundred, every window closed at the end of the input).
const input: Rating[] = Array.from({ length: 60_000 }, (_, answerId) => ({
  answerId,
  modelVersion: MODEL_VERSIONS[answerId % MODEL_VERSIONS.length]!,
  stars: 1 + ((answerId * 7) % 5),
  ts: START + answerId * 10 - ((answerId * 7_919) % 3_000),
}));

const reports: CheckReport[] = [];
afterAll(async () => {
  console.log('feedback-scores-kafka faults fired:', JSON.stringify(tallyFaults(reports)));
  await io.close();
});

test('feedback-scores-kafka publishes each window score exactly once under faults', { timeout: 300_000 }, async () => {
  // The example's dead letters go to a topic of their own (none expected: the input holds no poison).
  await createTopic(await io.brokers(), DEAD_LETTERS, 1);
  // The first run is this one, whatever the generated one holds: a process killed between a checkpoint and its commit,
  // and later a user function's throw (a restart inside the process).
  const faults = [{ kind: 'kill', point: 'before-publish', at: 50 }, { kind: 'throw', point: 'user-function', at: 90 }] as const;
  const killed: FaultSchedule = { io: 'kafka', faults };
  await fc.assert(
    fc.asyncProperty(faultSchedules({ io, points: ['user-function', 'before-publish'], maxFaults: 1 }), async (schedule) => {
      const compare = { perKey: (score: WindowScore) => score.modelVersion };
      reports.push(await checkExactlyOnce(job, { input, schedule, io, compare, timeoutMs: 240_000 }));
    }),
    { numRuns: 2, examples: [[killed]], endOnFailure: true },
  );
  expect(reports).toHaveLength(2);
});

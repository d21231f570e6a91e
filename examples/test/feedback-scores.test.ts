// examples/feedback-scores.ts proved exactly-once under generated faults, as a user proves their own job: the job
// reads files and publishes into a directory (its `input` and `output` params, which filesIo fills in).
import { afterAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { checkExactlyOnce, faultSchedules, filesIo, tallyFaults, type CheckReport, type FaultSchedule } from 'weir/testing';
import type { FeedbackEvent, WindowScore } from '../feedback-scores.ts';

const job = new URL('../feedback-scores.ts', import.meta.url);
const MODELS = ['answer-model-v1', 'answer-model-v2', 'answer-model-v3'];
const START = Date.UTC(2026, 0, 1);

// An hour of feedback: an answer every 6 s, its rating up to 10 minutes later, in arrival (event-time) order.
const input: FeedbackEvent[] = Array.from({ length: 600 }, (_, answerId): FeedbackEvent[] => {
  const ts = START + answerId * 6_000;
  const answer: FeedbackEvent = { kind: 'answer', answerId, modelVersion: MODELS[answerId % 3]!, ts };
  return [answer, { kind: 'rating', answerId, stars: 1 + ((answerId * 7) % 5), ts: ts + ((answerId * 7_919) % 600) * 1_000 }];
})
  .flat()
  .sort((a, b) => a.ts - b.ts);

// Not 'mid-publish': how often a run publishes (a checkpoint with windows fired since the last) depends on timing, and
// a run under faults on a loaded machine may publish fewer times than the failure-free run placed the fault at.
const points = ['user-function', 'alignment', 'async-snapshot', 'before-publish'] as const;
const reports: CheckReport[] = [];
afterAll(() => console.log('feedback-scores faults fired:', JSON.stringify(tallyFaults(reports))));

test('feedback-scores publishes each model version\'s window scores exactly once under faults', { timeout: 300_000 }, async () => {
  // The first run is this one, a process killed after the first checkpoint, before its publish (a restore from it
  // with windows already fired), whatever the generated two hold.
  const killed: FaultSchedule = { io: 'files', faults: [{ kind: 'kill', point: 'before-publish', at: 0 }] };
  await fc.assert(
    fc.asyncProperty(faultSchedules({ io: 'files', points, maxFaults: 1 }), async (schedule) => {
      const compare = { perKey: (score: WindowScore) => score.modelVersion };
      reports.push(await checkExactlyOnce(job, { input, schedule, io: filesIo(), compare, params: { checkpointMs: 10 } }));
    }),
    { numRuns: 3, examples: [[killed]], endOnFailure: true },
  );
  expect(reports).toHaveLength(3);
});

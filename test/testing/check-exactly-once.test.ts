import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkExactlyOnce, ExactlyOnceViolation, filesIo, type FaultSchedule } from 'weir/testing';
import type { Score, WindowTotal } from '../fixtures/installed-app/scores-source.ts';

// The kit on weir's sources, for work on the kit itself: the installed-package test's own project runs the property
// (20 generated schedules over files, 5 over Kafka) and this broken job with the packed weir.
const BROKEN_JOB = new URL('../fixtures/installed-app/broken-scores-job.ts', import.meta.url);

/** 5 models, 400 scores 10 ms apart: 40 windows of 100 ms per model, firing all through the run. */
const input: Score[] = Array.from({ length: 400 }, (_, at) => ({ model: `m${at % 5}`, time: at * 10, score: (at * 7) % 11 }));
/** About 200 ms of work per source subtask, with a checkpoint every 30 ms: every protocol point is passed. */
const params = { checkpointMs: 30, workMs: 1 };
const perModel = { perKey: (total: WindowTotal) => total.model };

describe('checkExactlyOnce on a keyed windowed job over files', () => {
  it('fails a job whose sink writes outside the transaction, naming the keys, the records and the seed', { timeout: 300_000 }, async () => {
    // A kill after windows fired: the restarted job replays them, and its function appends them to the file again.
    const late: FaultSchedule = { io: 'files', faults: [{ kind: 'kill', point: 'user-function', at: 50 }] };
    const failure = await fc
      .assert(
        fc.asyncProperty(fc.constant(late), async (schedule) => {
          await checkExactlyOnce(BROKEN_JOB, { input, schedule, io: filesIo(), compare: perModel, params });
        }),
        { numRuns: 1, seed: 1616, endOnFailure: true },
      )
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    expect(failure, 'the broken job passed').toBeInstanceOf(Error);
    // fast-check's report names the seed and the counterexample (the schedule); its cause is the kit's diff.
    expect(failure!.message).toContain('seed: 1616');
    expect(failure!.message).toContain('[{"io":"files","faults":[{"kind":"kill","point":"user-function","at":50}]}]');
    expect(failure!.cause).toBeInstanceOf(ExactlyOnceViolation);
    const diff = (failure!.cause as ExactlyOnceViolation).message;
    // The broken job publishes each total twice (appended, and through its sink): 400 records without faults.
    expect(diff).toMatch(/^exactly-once violated: the run under faults published \d+ records, the failure-free run 400 records\n/);
    expect(diff).toMatch(/\n {2}key "m\d": duplicated \d+ records?: \{"model":"m\d","end":\d+,"count":2,"total":\d+\}/);
    expect(diff).toContain('schedule: kill at user-function (50% into its passes) [files] {"io":"files","faults":[{"kind":"kill","point":"user-function","at":50}]}');
    expect(diff).toMatch(/faults fired: kill at user-function .* on pass \d+: fired/);
  });
});

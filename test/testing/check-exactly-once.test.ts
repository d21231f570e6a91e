import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkExactlyOnce, ExactlyOnceViolation, faultSchedules, filesIo, tallyFaults, type CheckReport, type FaultSchedule } from 'weir/testing';
import type { Score, WindowTotal } from '../fixtures/installed-app/scores-source.ts';

// The installed-package test's own project runs the same jobs with the packed weir.
const JOB = new URL('../fixtures/installed-app/scores-job.ts', import.meta.url);
const BROKEN_JOB = new URL('../fixtures/installed-app/broken-scores-job.ts', import.meta.url);

/** 5 models, 400 scores 10 ms apart: 40 windows of 100 ms per model, firing all through the run. */
const input: Score[] = Array.from({ length: 400 }, (_, at) => ({ model: `m${at % 5}`, time: at * 10, score: (at * 7) % 11 }));
/** About 200 ms of work per source subtask, with a checkpoint every 30 ms: every protocol point is passed. */
const params = { checkpointMs: 30, workMs: 1 };
const perModel = { perKey: (total: WindowTotal) => total.model };

const reports: CheckReport[] = [];
afterAll(() => console.log(`weir/testing faults fired: ${JSON.stringify(tallyFaults(reports))}`));

describe('checkExactlyOnce on a keyed windowed job over files', () => {
  it('passes generated schedules, and every schedule fires a fault', { timeout: 400_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(faultSchedules({ io: 'files', maxFaults: 2 }), async (schedule) => {
        const report = await checkExactlyOnce(JOB, { input, schedule, io: filesIo(), compare: perModel, params });
        reports.push(report);
        expect(report.fired).toBeGreaterThan(0);
        expect(report.records).toBe(200);
      }),
      { numRuns: 3, endOnFailure: true },
    );
  });

  it('fails a job whose sink writes outside the transaction, naming the keys, the records and the seed', { timeout: 300_000 }, async () => {
    // A kill after windows fired: the restarted job replays them, and its function appends them to the file again.
    const late: FaultSchedule = { io: 'files', faults: [{ kind: 'kill', point: 'user-function', at: 50 }] };
    const failure = await fc
      .assert(
        fc.asyncProperty(fc.constant(late), async (schedule) => {
          reports.push(await checkExactlyOnce(BROKEN_JOB, { input, schedule, io: filesIo(), compare: perModel, params }));
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

import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkExactlyOnce, ExactlyOnceViolation, faultSchedules, filesIo, tallyFaults, type CheckReport, type FaultSchedule } from 'weir/testing';
import type { Score, WindowTotal } from '../fixtures/installed-app/scores-source.ts';

// The installed-package test's own project runs the same jobs with the packed weir.
const JOB = new URL('../fixtures/installed-app/scores-job.ts', import.meta.url);
const BROKEN_JOB = new URL('../fixtures/installed-app/broken-scores-job.ts', import.meta.url);

/** 5 models, 800 scores at increasing times: 8 windows of 100 ms per model. */
const input: Score[] = Array.from({ length: 800 }, (_, at) => ({ model: `m${at % 5}`, time: at, score: (at * 7) % 11 }));
/** About half a second of work per source subtask, with a checkpoint every 30 ms: every protocol point is passed. */
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
        expect(report.records).toBe(40);
      }),
      { numRuns: 3, endOnFailure: true },
    );
  });

  it('fails a job whose sink writes outside the transaction, naming the keys, the records and the seed', { timeout: 300_000 }, async () => {
    // A kill once windows have been written: the restarted process writes them again, or overwrites what it wrote.
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
    const message = failure!.message;
    expect(message).toContain('seed: 1616');
    expect(failure!.cause).toBeInstanceOf(ExactlyOnceViolation);
    expect(message).toMatch(/key "m\d": (lost|duplicated|\d+ records? the failure-free run never published)/);
    expect(message).toContain('"kind":"kill","point":"user-function","at":50');
    expect(message).toMatch(/kill at user-function .* on pass \d+: fired/);
  });
});

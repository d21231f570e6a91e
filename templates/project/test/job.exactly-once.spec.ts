// The job under generated faults (killed processes, crashed threads, a second instance, failing functions): its
// totals must equal a failure-free run's, each exactly once. A failing run prints its seed and schedule to replay.
import fc from 'fast-check';
import { afterAll, expect, test } from 'vitest';
import { checkExactlyOnce, events, faultSchedules, filesIo, tallyFaults, type CheckReport } from 'weir/testing';
import type { WindowTotal } from '../src/job.js';

const job = new URL('../src/job.ts', import.meta.url);
// 300 events of 4 keys in event-time order; generated once, the same every run.
const [input] = fc.sample(events({ keys: 4, count: 300, maxOutOfOrderMs: 0 }), { numRuns: 1, seed: 7 });
// Checkpoints every 30 ms and 1 ms of work per event: checkpoints and fired windows all through the run.
const params = { windowMs: 100, maxOutOfOrderMs: 0, checkpointMs: 30, batchSize: 16, workMs: 1 };
const reports: CheckReport[] = [];
afterAll(() => console.log('faults fired:', JSON.stringify(tallyFaults(reports))));

test('window totals are exactly-once under generated faults', { timeout: 300_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(faultSchedules({ io: 'files' }), async (schedule) => {
      const compare = { perKey: (total: WindowTotal) => total.key };
      reports.push(await checkExactlyOnce(job, { input: input!, schedule, io: filesIo(), params, compare }));
    }),
    { numRuns: 3, endOnFailure: true },
  );
  expect(reports).toHaveLength(3);
});

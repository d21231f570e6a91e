// memoryIo: the job in the test's own process, its input in its params and its output in a CollectSink, under the
// faults that keep the process (a user function's throw, a worker thread's exit).
import { afterAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { checkExactlyOnce, faultSchedules, memoryIo, tallyFaults, type CheckReport } from 'weir/testing';
import type { Reading, Total } from '../fixtures/memory-totals-job.ts';

const job = new URL('../fixtures/memory-totals-job.ts', import.meta.url);
const input: Reading[] = Array.from({ length: 400 }, (_, i) => ({ key: `k${i % 4}`, time: i * 5, value: i % 7 }));
const compare = { perKey: (total: Total) => total.key };
const reports: CheckReport[] = [];
afterAll(() => console.log('memoryIo faults fired:', JSON.stringify(tallyFaults(reports))));

test('schedules for memoryIo hold only the faults that keep the process, at worker-thread points', () => {
  const schedules = fc.sample(faultSchedules({ io: memoryIo(), maxFaults: 3 }), { numRuns: 200, seed: 16 });
  const faults = schedules.flatMap((schedule) => schedule.faults);
  expect(new Set(faults.map((fault) => fault.kind))).toEqual(new Set(['throw', 'exit-thread']));
  expect(new Set(faults.map((fault) => fault.point))).toEqual(new Set(['user-function', 'alignment', 'async-snapshot']));
  const kill = { io: 'memory', faults: [{ kind: 'kill', point: 'user-function', at: 10 }] } as const;
  return expect(checkExactlyOnce(job, { input, schedule: kill, io: memoryIo() })).rejects.toThrow(/memory I\/O cannot inject 'kill'/);
});

test('window totals per key are exactly-once in process under generated faults', { timeout: 120_000 }, async () => {
  await fc.assert(
    // One reader of the elements: the window subtasks have one input each and never align.
    fc.asyncProperty(faultSchedules({ io: memoryIo(), points: ['user-function', 'async-snapshot'] }), async (schedule) => {
      reports.push(await checkExactlyOnce(job, { input, schedule, io: memoryIo(), compare }));
    }),
    { numRuns: 3, endOnFailure: true },
  );
  expect(reports).toHaveLength(3);
  expect(reports.every((report) => report.records > 0 && report.fired > 0)).toBe(true);
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import { emissionId, type Emission, type Event, type WindowJobSpec, type WindowKind } from '../fixtures/window-spec.ts';
import { referenceWindows } from '../fixtures/window-model.ts';
import { outOfOrderEvents, timeWindows } from '../fixtures/window-arbitraries.ts';

const JOB = fileURLToPath(new URL('../fixtures/window-job.ts', import.meta.url));

const windowArb: fc.Arbitrary<WindowKind> = fc.oneof(
  timeWindows,
  fc.record({ kind: fc.constant('global-count' as const), count: fc.integer({ min: 1, max: 5 }) }),
  fc.constant({ kind: 'global' as const }),
);

const specArb: fc.Arbitrary<WindowJobSpec> = fc.record({
  events: outOfOrderEvents,
  window: windowArb,
  parallelism: fc.integer({ min: 1, max: 4 }),
  batchSize: fc.constantFrom(1, 4, 16, 1024),
  delayMs: fc.integer({ min: 0, max: 20 }),
  allowedLatenessMs: fc.constantFrom(0, 0, 5, 20),
  lateOutput: fc.boolean(),
  contents: fc.constantFrom('process' as const, 'aggregate' as const),
});

const sortedIds = (emissions: readonly Emission[]): string[] => emissions.map(emissionId).sort();

/** Sliced sliding windows whose slices (gcd 2) start at odd times (offset 1), over odd and even timestamps, some late. */
const offsetSlices: WindowJobSpec = {
  events: Array.from({ length: 60 }, (_, id) => ({ id, key: id % 3, ts: id * 2 + ((id * 7) % 5) - 2 })),
  window: { kind: 'sliding', size: 10, slide: 4, offset: 1 },
  parallelism: 2,
  batchSize: 4,
  delayMs: 5,
  allowedLatenessMs: 0,
  lateOutput: true,
  contents: 'aggregate',
};

/** Out-of-order events over 3 keys: a drift of 2 per event with jitter from 24 behind to 4 ahead, so some are late. */
const drifting = (count: number): Event[] => Array.from({ length: count }, (_, id) => ({ id, key: id % 3, ts: id * 2 + ((id * 11) % 29) - 24 }));

/**
 * Each window type the arbitrary draws, as a fixed example beside the offset slices, so that every run covers them
 * whatever the seed, with both contents, parallelism 1 to 4 and small to large batches; late events go to the late
 * output (tumbling, session) and are dropped and counted without one (sliding).
 */
const fixedCases: WindowJobSpec[] = [
  offsetSlices,
  { events: drifting(120), window: { kind: 'tumbling', size: 10 }, parallelism: 1, batchSize: 1, delayMs: 0, allowedLatenessMs: 0, lateOutput: true, contents: 'process' },
  { events: drifting(150), window: { kind: 'sliding', size: 12, slide: 4 }, parallelism: 4, batchSize: 16, delayMs: 2, allowedLatenessMs: 5, lateOutput: false, contents: 'aggregate' },
  { events: drifting(100), window: { kind: 'session', gap: 5 }, parallelism: 3, batchSize: 4, delayMs: 3, allowedLatenessMs: 5, lateOutput: true, contents: 'process' },
  { events: drifting(90), window: { kind: 'global-count', count: 3 }, parallelism: 2, batchSize: 16, delayMs: 0, allowedLatenessMs: 0, lateOutput: false, contents: 'aggregate' },
  { events: drifting(80), window: { kind: 'global' }, parallelism: 1, batchSize: 1024, delayMs: 10, allowedLatenessMs: 0, lateOutput: true, contents: 'process' },
];

describe('windows through the runtime, against the reference model', () => {
  it('every window type, random out-of-order input, watermark delay and lateness, p1-4', async () => {
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        const result = await runJob({ jobModule: JOB, params: spec, threads: 2 });
        const expected = referenceWindows(spec);
        const emissions = (result.outputs.get('windows') ?? []) as Emission[];
        const late = ((result.outputs.get('late') ?? []) as Event[]).map((event) => event.id).sort((a, b) => a - b);
        const dropped = result.operators.reduce((sum, operator) => sum + operator.lateRecordsDropped, 0);
        if (spec.lateOutput) {
          expect(late).toEqual([...expected.late].sort((a, b) => a - b));
          expect(dropped).toBe(0);
        } else {
          // Without a side output late events are dropped as in Flink, but counted (metric and end-of-job warning).
          expect(late).toEqual([]);
          expect(dropped).toBe(expected.late.length);
        }
        expect(sortedIds(emissions)).toEqual(sortedIds(expected.emissions));
        // None vanishes: each event was evaluated in some window, or went to the late output (count windows keep
        // their last, incomplete group by design).
        if (spec.window.kind !== 'global-count') {
          const seen = new Set([...late, ...emissions.flatMap((emission) => emission.ids)]);
          expect(seen.size + (spec.lateOutput ? 0 : dropped)).toBe(spec.events.length);
        }
      }),
      // The fixed cases run first; the random runs beyond them explore sizes, offsets, lateness and disorder.
      { numRuns: 20, examples: fixedCases.map((spec) => [spec] as [WindowJobSpec]) },
    );
  }, 240_000);
});

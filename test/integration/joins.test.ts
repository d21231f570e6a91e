import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import type { Event } from '../fixtures/window-spec.ts';
import type { JoinJobSpec, Pair } from '../fixtures/join-job.ts';
import { outOfOrderEventsOf } from '../fixtures/window-arbitraries.ts';

const JOB = fileURLToPath(new URL('../fixtures/join-job.ts', import.meta.url));

const eventsArb = (firstId: number): fc.Arbitrary<Event[]> =>
  outOfOrderEventsOf({ maxLength: 120, maxKey: 3, maxStep: 2, maxBehind: 20, maxAhead: 3, firstId });

const joinArb: fc.Arbitrary<JoinJobSpec['join']> = fc.oneof(
  { weight: 3, arbitrary: fc
    .record({ lower: fc.integer({ min: -15, max: 10 }), width: fc.integer({ min: 0, max: 15 }) })
    .map(({ lower, width }) => ({ kind: 'interval' as const, lower, upper: lower + width })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('window' as const), size: fc.integer({ min: 1, max: 30 }) }) },
);

const specArb: fc.Arbitrary<JoinJobSpec> = fc
  .record({
  left: eventsArb(0),
  right: eventsArb(10_000),
  join: joinArb,
  parallelism: fc.integer({ min: 1, max: 4 }),
  batchSize: fc.constantFrom(1, 8, 1024),
  // A delay beyond the input's disorder means no event is late: the join is then exact.
  delayMs: fc.constantFrom(0, 3, 10, 1_000),
})
  // Window joins have no late output (as in Flink): run them only where nothing can be late, so they compare exactly.
  .map((spec) => (spec.join.kind === 'window' ? { ...spec, delayMs: 1_000 } : spec));

const floorMod = (a: number, b: number): number => ((a % b) + b) % b;
const pairKey = (pair: Pair): string => `${pair.left}-${pair.right}`;

/** The reference: every pair of same-key events that the join's condition accepts, among the events not late. */
function referencePairs(spec: JoinJobSpec, lateIds: ReadonlySet<number>): string[] {
  const pairs: string[] = [];
  for (const l of spec.left) {
    for (const r of spec.right) {
      if (l.key !== r.key || lateIds.has(l.id) || lateIds.has(r.id)) continue;
      const join = spec.join;
      const matches =
        join.kind === 'interval'
          ? r.ts - l.ts >= join.lower && r.ts - l.ts <= join.upper
          : l.ts - floorMod(l.ts, join.size) === r.ts - floorMod(r.ts, join.size);
      if (matches) pairs.push(pairKey({ left: l.id, right: r.id }));
    }
  }
  return pairs.sort();
}

/** Out-of-order events over 4 keys: a drift of 1 per event with jitter from 12 behind to 3 ahead, so some are late. */
const drifting = (count: number, firstId: number): Event[] =>
  Array.from({ length: count }, (_, i) => ({ id: firstId + i, key: (i * 5) % 4, ts: i + ((i * 7) % 16) - 12 }));

/**
 * Each case the arbitrary draws, as a fixed example, so that every run covers them whatever the seed: interval joins
 * with late events (delay 0) at parallelism 1 and batches of 1, entirely in the past (negative bounds) at 2, exact
 * (delay beyond the disorder) at 4 with large batches; a window join at 3.
 */
const fixedCases: JoinJobSpec[] = [
  { left: drifting(80, 0), right: drifting(70, 10_000), join: { kind: 'interval', lower: -5, upper: 5 }, parallelism: 1, batchSize: 1, delayMs: 0 },
  { left: drifting(60, 0), right: drifting(90, 10_000), join: { kind: 'interval', lower: -15, upper: -3 }, parallelism: 2, batchSize: 8, delayMs: 3 },
  { left: drifting(100, 0), right: drifting(100, 10_000), join: { kind: 'interval', lower: 2, upper: 10 }, parallelism: 4, batchSize: 1024, delayMs: 1_000 },
  { left: drifting(90, 0), right: drifting(80, 10_000), join: { kind: 'window', size: 10 }, parallelism: 3, batchSize: 8, delayMs: 1_000 },
];

const maxTs = (events: readonly Event[]): number => Math.max(Number.NEGATIVE_INFINITY, ...events.map((event) => event.ts));

describe('joins through the runtime, against the reference model', () => {
  it('interval and window joins, random out-of-order inputs, p1-4', async () => {
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        const result = await runJob({ jobModule: JOB, params: spec, threads: 2 });
        const late = [...((result.outputs.get('late-left') ?? []) as Event[]), ...((result.outputs.get('late-right') ?? []) as Event[])];
        // A late event must really be behind the highest watermark the operator could have seen before the input
        // ended: an input that ended no longer holds the other back, so it is the larger of the two sides'.
        const highestWatermark = Math.max(maxTs(spec.left), maxTs(spec.right)) - spec.delayMs - 1;
        for (const event of late) expect(event.ts).toBeLessThan(highestWatermark);
        if (spec.delayMs === 1_000) expect(late).toEqual([]);
        const pairs = ((result.outputs.get('pairs') ?? []) as Pair[]).map(pairKey).sort();
        expect(pairs).toEqual(referencePairs(spec, new Set(late.map((event) => event.id))));
      }),
      // The fixed cases run first; the random runs beyond them explore sizes, bounds and disorder.
      { numRuns: 20, examples: fixedCases.map((spec) => [spec] as [JoinJobSpec]) },
    );
  }, 240_000);
});

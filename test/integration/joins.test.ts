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
      { numRuns: 40 },
    );
  }, 240_000);
});

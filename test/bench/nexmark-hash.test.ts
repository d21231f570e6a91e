import { describe, expect, it } from 'vitest';
import { measureNexmark } from '../../bench/nexmark/measure.ts';
import { nexmarkEvents } from '../../bench/nexmark/generator.ts';
import { REFERENCE } from '../../bench/nexmark/reference.ts';
import { canonicalText, resultHash } from '../../bench/nexmark/result-digest.ts';

const SEED = 42;
// 20 s of event time at the generator's default 10,000 events/s: several q5 slides, two q7 windows.
const EVENTS = 200_000;

describe('Nexmark result hashes', () => {
  const events = nexmarkEvents(EVENTS, SEED);

  it('do not depend on the order of the results, and change when one result changes', () => {
    const results = REFERENCE.q1(events.slice(0, 2_000));
    const hash = resultHash('q1', results);
    expect(resultHash('q1', [...results].reverse())).toBe(hash);
    const changed = results.map((result, n) => (n === 7 ? { ...(result as object), price: (result as { price: number }).price + 1 } : result));
    expect(resultHash('q1', changed)).not.toBe(hash);
    // A result twice is another multiset.
    expect(resultHash('q1', [...results, results[0]])).not.toBe(hash);
  });

  it('read only the canonical fields, in canonical order, as the Java side does', () => {
    expect(canonicalText('q2', { price: 5, auction: 1107, kind: 'ignored' })).toBe('{"auction":1107,"price":5}');
    expect(() => canonicalText('q2', { auction: 1107 })).toThrow(/price/);
  });

  it.each([
    ['q5', 2],
    ['q5-unsliced', 2],
    ['q7', 1],
  ] as const)('of a verification run of %s at p%i equal the reference results\' hash', { timeout: 120_000 }, async (query, parallelism) => {
    const line = await measureNexmark({ query, parallelism, events: EVENTS, warmup: 0, seed: SEED, hash: true });
    const expected = REFERENCE[query](events);
    expect(expected.length).toBeGreaterThan(0);
    expect(line.results).toBe(expected.length);
    expect(line.resultHash).toBe(resultHash(query, expected));
  });
});

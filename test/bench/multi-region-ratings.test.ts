import { describe, expect, it } from 'vitest';
import { MAX_OUT_OF_ORDERNESS_MS, type WindowScore } from '../../examples/feedback-scores-kafka.ts';
import { benchRating, expectedTotals, scoresProblem } from '../../bench/multi-region-ratings.ts';

/** The scores a correct run publishes for ratings 0 .. records - 1. */
function rightScores(records: number): WindowScore[] {
  return [...expectedTotals(records)].map(([window, { count, sum }]) => {
    const [modelVersion, windowStart] = window.split(' ') as [string, string];
    return { modelVersion, windowStart, ratings: count, meanStars: Number((sum / count).toFixed(4)) };
  });
}

describe('the multi-region bench ratings and their check', () => {
  it('makes ratings that are never later than the example allows, the same every time', () => {
    let newest = Number.NEGATIVE_INFINITY;
    for (let id = 0; id < 20_000; id++) {
      const { ts } = benchRating(id);
      expect(newest - ts).toBeLessThan(MAX_OUT_OF_ORDERNESS_MS);
      newest = Math.max(newest, ts);
    }
    expect(benchRating(1234)).toEqual(benchRating(1234));
  });

  it('accepts the right scores in any order, and names a doubled, a missing and a miscounted window', () => {
    const expected = expectedTotals(10_000);
    const right = rightScores(10_000);
    expect(right.length).toBeGreaterThan(8);
    expect(scoresProblem(expected, [...right].reverse())).toBeUndefined();
    expect(scoresProblem(expected, [...right, right[3]!])).toMatch(/published twice/);
    expect(scoresProblem(expected, right.slice(1))).toMatch(/1 of \d+ windows missing/);
    expect(scoresProblem(expected, right.map((s, i) => (i === 2 ? { ...s, ratings: s.ratings - 1 } : s)))).toMatch(/expected/);
    // Ratings the job counted as dropped late account for what a window lacks, and for nothing more.
    const short = right.map((s, i) => (i === 2 ? { ...s, ratings: s.ratings - 5 } : s));
    expect(scoresProblem(expected, short, 5)).toBeUndefined();
    expect(scoresProblem(expected, short, 4)).toMatch(/dropped late/);
  });
});

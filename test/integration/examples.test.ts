import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import type { VariantMetrics } from '../../examples/experiment-metrics.ts';
import type { WindowScore } from '../../examples/feedback-scores.ts';

const example = (name: string): string => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
const sortedJson = (records: unknown[]): string[] => records.map((r) => JSON.stringify(r)).sort();

describe('windowed examples', () => {
  it('feedback-scores: every rating joins its answer, and p1 and p2 publish the same windows', async () => {
    const params = { answers: 5_000, collect: true };
    const [p1, p2] = await Promise.all([1, 2].map((parallelism) => runJob({ jobModule: example('feedback-scores.ts'), params, parallelism })));
    const scores = p1!.outputs.get('scores') as WindowScore[];
    // Each rating comes within 10 minutes of its answer, so the join keeps all of them.
    expect(scores.reduce((sum, s) => sum + s.ratings, 0)).toBe(5_000);
    expect(sortedJson(p2!.outputs.get('scores')!)).toEqual(sortedJson(scores));
  });

  it('experiment-metrics: conversions within 30 minutes are counted, the same at p1 and p2', async () => {
    const params = { exposures: 5_000, collect: true };
    const [p1, p2] = await Promise.all([1, 2].map((parallelism) => runJob({ jobModule: example('experiment-metrics.ts'), params, parallelism })));
    const metrics = p1!.outputs.get('metrics') as VariantMetrics[];
    const conversions = metrics.reduce((sum, m) => sum + m.conversions, 0);
    // About 30% convert, two thirds of those within 30 of the 45 minutes: roughly 1,000 of 5,000.
    expect(conversions).toBeGreaterThan(800);
    expect(conversions).toBeLessThan(1_200);
    expect(sortedJson(p2!.outputs.get('metrics')!)).toEqual(sortedJson(metrics));
  });
});

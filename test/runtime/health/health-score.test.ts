import { describe, expect, it } from 'vitest';
import {
  backpressureScore,
  checkpointAgeScore,
  checkpointFailuresScore,
  combine,
  deadLettersScore,
  HEALTH_COMPONENTS,
  lagTrendScore,
  linearScore,
  restartsScore,
  watermarkSkewScore,
} from '../../../src/runtime/health/health-score.ts';
import { DEFAULT_WATERMARK_SKEW_MS, restartBudgetOf } from '../../../src/runtime/health/health-settings.ts';

const allHealthy = () => [
  backpressureScore(0, 10_000, 'a[0]'),
  checkpointAgeScore(100, { intervalMs: 1_000, minPauseMs: 0 }, 'checkpoint'),
  checkpointFailuresScore({ failed: 0, completed: 5, lastReason: undefined }, 10_000),
  restartsScore(0, { attempts: 10, windowMs: 3_600_000 }, undefined),
  lagTrendScore(0, 100, 10_000),
  watermarkSkewScore(0, 1_000, 'a[0]'),
  deadLettersScore(0, 100, 10_000),
];

describe('health score components', () => {
  it('linearScore: 100 up to ok, 0 from bad, a line between', () => {
    expect([linearScore(0, 1, 3), linearScore(1, 1, 3), linearScore(2, 1, 3), linearScore(3, 1, 3), linearScore(9, 1, 3)]).toEqual([100, 100, 50, 0, 0]);
  });

  it('checkpoint age is measured against the checkpoint interval: free up to two intervals, nothing left five intervals later', () => {
    const settings = { intervalMs: 1_000, minPauseMs: 500 };
    expect(checkpointAgeScore(2_500, settings, 'checkpoint')).toMatchObject({ score: 100, threshold: 2_500 });
    const late = checkpointAgeScore(5_000, settings, 'checkpoint');
    expect(late).toMatchObject({ score: 50, value: 5_000 });
    expect(late.reason).toBe('5.0 s since the latest completed checkpoint, more than 2.5 s (twice the checkpoint interval and the minimum pause): checkpoints are not completing and a failure would replay all of it');
    expect(checkpointAgeScore(7_500, settings, 'start').score).toBe(0);
    // Ten times the interval scales the threshold ten times.
    expect(checkpointAgeScore(5_000, { intervalMs: 10_000, minPauseMs: 0 }, 'checkpoint').score).toBe(100);
    expect(checkpointAgeScore(5_000, undefined, 'start')).toMatchObject({ applies: false, threshold: null });
  });

  it('checkpoint failures: any costs points, half of them cost it all', () => {
    expect(checkpointFailuresScore({ failed: 1, completed: 3, lastReason: 'timed out' }, 2_000)).toMatchObject({
      score: 50,
      value: 0.25,
      reason: '1 of 4 checkpoints of the last 2.0 s (ten checkpoint intervals) failed, the last with: timed out',
    });
    expect(checkpointFailuresScore({ failed: 2, completed: 2, lastReason: undefined }, 2_000).score).toBe(0);
    expect(checkpointFailuresScore({ failed: 0, completed: 0, lastReason: undefined }, 2_000)).toMatchObject({ score: 100, value: null });
  });

  it("restarts use up the restart strategy's attempts, over its own window", () => {
    const budget = restartBudgetOf({ kind: 'fixed-delay', attempts: 4, delayMs: 100 });
    expect(budget).toEqual({ attempts: 4, windowMs: undefined });
    expect(restartsScore(1, budget, 'boom')).toMatchObject({ score: 75, reason: "1 restart since the job started of the 4 the restart strategy allows; the last after: boom" });
    expect(restartsScore(4, budget, undefined).score).toBe(0);
    // A backoff without a bound: as many as it takes the delay to reach its maximum (1, 2, 4, 8 s).
    expect(restartBudgetOf({ kind: 'exponential-backoff', initialDelayMs: 1_000, maxDelayMs: 8_000 })).toEqual({ attempts: 4, windowMs: undefined });
    expect(restartBudgetOf({ kind: 'exponential-backoff', initialDelayMs: 1_000, maxDelayMs: 60_000, resetAfterMs: 3_600_000, attempts: 10 })).toEqual({ attempts: 10, windowMs: 3_600_000 });
    expect(restartBudgetOf({ kind: 'none' })).toBeUndefined();
    expect(restartsScore(0, undefined, undefined)).toMatchObject({ applies: false });
  });

  it('backpressure: a share of time, free up to 10%, nothing left at 80%', () => {
    expect(backpressureScore(0.45, 10_000, 'src[1]')).toMatchObject({
      score: 50,
      reason: 'src[1] was backpressured 45% of the last 10.0 s: an operator downstream of it is slower than its input',
    });
    expect(backpressureScore(0.1, 10_000, 'src[1]').score).toBe(100);
    expect(backpressureScore(0.9, 10_000, 'src[1]').score).toBe(0);
  });

  it('lag trend: growth against what the sources read; a shrinking backlog is healthy', () => {
    expect(lagTrendScore(-50, 100, 10_000).score).toBe(100);
    expect(lagTrendScore(25, 75, 10_000)).toMatchObject({ score: 67, value: 25 });
    expect(lagTrendScore(10, 0, 10_000).score).toBe(0);
    expect(lagTrendScore(null, 0, 10_000)).toMatchObject({ applies: false });
  });

  it("watermark skew: against the job's own bound, nothing left at ten times it", () => {
    expect(watermarkSkewScore(1_000, 1_000, 'b[0]').score).toBe(100);
    expect(watermarkSkewScore(5_500, 1_000, 'b[0]')).toMatchObject({
      score: 50,
      reason: 'b[0] holds the watermark 5.5 s of event time behind the furthest source, beyond 1.0 s: windows wait for it and state grows',
    });
    expect(watermarkSkewScore(null, DEFAULT_WATERMARK_SKEW_MS, undefined).score).toBe(100);
  });

  it('dead letters: a share of what the sources read, nothing left at one in ten', () => {
    expect(deadLettersScore(5, 100, 10_000)).toMatchObject({ score: 50, value: 0.05 });
    expect(deadLettersScore(0, 0, 10_000).score).toBe(100);
    expect(deadLettersScore(20, 0, 10_000).score).toBe(0);
  });

  it('the score is 100 less what each component costs: its weight times what it lost', () => {
    const healthy = combine(allHealthy());
    expect(healthy.score).toBe(100);
    expect(healthy.components.map((c) => c.name)).toEqual([...HEALTH_COMPONENTS]);
    expect(healthy.components.reduce((sum, c) => sum + c.weight, 0)).toBeCloseTo(1, 2);

    const troubled = allHealthy();
    troubled[3] = restartsScore(5, { attempts: 10, windowMs: undefined }, 'boom'); // 50
    troubled[0] = backpressureScore(0.9, 10_000, 'a[0]'); // 0
    const report = combine(troubled);
    const lost = report.components.reduce((sum, c) => sum + c.weight * (100 - c.score), 0);
    expect(report.score).toBe(Math.round(100 - lost));
    expect(report.score).toBe(70); // backpressure costs its 20, restarts half of its 20

    // A component that does not apply weighs nothing; the others share its weight.
    const noCheckpoints = allHealthy();
    noCheckpoints[1] = checkpointAgeScore(1e9, undefined, 'start');
    noCheckpoints[2] = checkpointFailuresScore({ failed: 0, completed: 0, lastReason: undefined }, undefined);
    noCheckpoints[0] = backpressureScore(0.9, 10_000, 'a[0]');
    const shared = combine(noCheckpoints);
    expect(shared.components.find((c) => c.name === 'checkpoint_age')!.weight).toBe(0);
    expect(shared.score).toBe(Math.round(100 - (100 * 20) / 65));
  });
});

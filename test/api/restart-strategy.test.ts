import { describe, expect, it } from 'vitest';
import { RestartStrategy } from '../../src/api/restart-strategy.ts';

describe('RestartStrategy', () => {
  it('none never restarts', () => {
    expect(new RestartStrategy({ kind: 'none' }).onFailure(0)).toEqual({ restart: false, reason: 'the restart strategy is none' });
  });

  it('fixed delay restarts a bounded number of times, each after the delay', () => {
    const strategy = new RestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 500 });
    expect(strategy.onFailure(0)).toEqual({ restart: true, delayMs: 500 });
    expect(strategy.onFailure(10_000)).toEqual({ restart: true, delayMs: 500 });
    expect(strategy.onFailure(20_000)).toEqual({ restart: false, reason: 'gave up after 2 restarts' });
  });

  it('exponential backoff doubles the delay up to its cap, and gives up after its attempts', () => {
    const strategy = new RestartStrategy({ kind: 'exponential-backoff', initialDelayMs: 100, maxDelayMs: 700, attempts: 5 });
    const delays = [0, 1, 2, 3, 4].map((i) => strategy.onFailure(i));
    expect(delays.map((d) => (d.restart ? d.delayMs : -1))).toEqual([100, 200, 400, 700, 700]);
    expect(strategy.onFailure(5).restart).toBe(false);
  });

  it('exponential backoff starts over after a run without failure longer than the reset threshold', () => {
    const strategy = new RestartStrategy({ kind: 'exponential-backoff', initialDelayMs: 100, maxDelayMs: 10_000, resetAfterMs: 1_000, attempts: 3 });
    expect(strategy.onFailure(0)).toEqual({ restart: true, delayMs: 100 });
    expect(strategy.onFailure(500)).toEqual({ restart: true, delayMs: 200 });
    // Restarted at 700, ran until 1,699: not yet a full second.
    expect(strategy.onFailure(1_699)).toEqual({ restart: true, delayMs: 400 });
    // Restarted at 2,099 and ran past 3,099: the backoff and the attempt count start over.
    expect(strategy.onFailure(3_100)).toEqual({ restart: true, delayMs: 100 });
  });

  it('refuses a negative or non-finite setting', () => {
    expect(() => new RestartStrategy({ kind: 'fixed-delay', attempts: -1, delayMs: 0 })).toThrow(RangeError);
    expect(() => new RestartStrategy({ kind: 'exponential-backoff', initialDelayMs: 1, maxDelayMs: Number.NaN })).toThrow(RangeError);
    expect(() => new RestartStrategy({ kind: 'exponential-backoff', initialDelayMs: 1, maxDelayMs: 2, multiplier: 0.5 })).toThrow(RangeError);
  });
});

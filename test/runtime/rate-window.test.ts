import { describe, expect, it } from 'vitest';
import { RateWindow } from '../../src/runtime/rate-window.ts';

describe('RateWindow', () => {
  it('gives zeros until two samples are in', () => {
    const window = new RateWindow(10_000);
    expect(window.perSecond(2)).toEqual([0, 0]);
    window.add(0, [5, 7]);
    expect(window.perSecond(2)).toEqual([0, 0]);
  });

  it('is the change per second from the oldest sample in the window to the newest', () => {
    const window = new RateWindow(10_000);
    window.add(0, [0, 100]);
    window.add(1_000, [50, 100]);
    window.add(2_000, [200, 300]);
    expect(window.perSecond(2)).toEqual([100, 100]);
  });

  it('forgets samples older than the window, keeping one at its start', () => {
    const window = new RateWindow(2_000);
    window.add(0, [0]);
    window.add(1_000, [1_000]);
    window.add(2_000, [1_010]);
    window.add(3_000, [1_020]);
    // From t=1000 (the window's start) to t=3000: 20 records in 2 s; the burst before it is gone.
    expect(window.perSecond(1)).toEqual([10]);
  });

  it('counts a counter that went back down (a restarted subtask) from zero', () => {
    const window = new RateWindow(10_000);
    window.add(0, [900]);
    window.add(1_000, [1_000]);
    window.add(2_000, [40]);
    expect(window.perSecond(1)).toEqual([70]);
  });

  it('ignores a sample that is not newer than the last', () => {
    const window = new RateWindow(10_000);
    window.add(1_000, [0]);
    window.add(1_000, [500]);
    window.add(2_000, [10]);
    expect(window.perSecond(1)).toEqual([10]);
  });
});

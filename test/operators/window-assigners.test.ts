import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingEventTimeWindows, SlidingProcessingTimeWindows, type TimeWindow } from 'weir';

/** Flink's SlidingEventTimeWindows.assignWindows, computed afresh for every time. */
function expectedWindows(time: number, size: number, slide: number, offset: number): TimeWindow[] {
  const remainder = (time - offset) % slide;
  const latest = time - (remainder < 0 ? remainder + slide : remainder);
  const windows: TimeWindow[] = [];
  for (let start = latest; start > time - size; start -= slide) windows.push({ start, end: start + size });
  return windows;
}

describe('sliding window assigners', () => {
  it('hand out the same windows as a fresh computation for any sequence of times (sizes not multiples of the slide, gaps, offsets, out of order)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 19 }),
        fc.array(fc.integer({ min: -200, max: 200 }), { minLength: 1, maxLength: 60 }),
        fc.boolean(),
        (size, slide, offsetSeed, times, eventTime) => {
          const offset = offsetSeed % slide;
          const assigner = eventTime ? SlidingEventTimeWindows.of(size, slide, offset) : SlidingProcessingTimeWindows.of(size, slide, offset);
          for (const time of times) expect(assigner.assignWindows(time)).toEqual(expectedWindows(time, size, slide, offset));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reuse the array of windows for times in one slide, and their windows cannot be changed by a caller', () => {
    const assigner = SlidingEventTimeWindows.of(10_000, 2_000);
    const first = assigner.assignWindows(4_000);
    expect(assigner.assignWindows(5_999)).toBe(first);
    expect(assigner.assignWindows(6_000)).not.toBe(first);
    expect(first.map((window) => window.start)).toEqual([4_000, 2_000, 0, -2_000, -4_000]);
    expect(first.every((window) => Object.isFrozen(window))).toBe(true);
  });
});

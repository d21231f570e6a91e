import { describe, expect, it } from 'vitest';
import { nextPollSize } from '../../src/runtime/subtask.ts';

const BATCH = 1_024;

describe('source poll size', () => {
  it('grows to a whole batch, at most twofold a poll, while records are cheap', () => {
    let size = 16;
    const sizes: number[] = [];
    // 1 µs a record.
    for (let poll = 0; poll < 8; poll++) sizes.push((size = nextPollSize(size, size, size / 1_000, BATCH)));
    expect(sizes).toEqual([32, 64, 128, 256, 512, 1_024, 1_024, 1_024]);
  });

  it('shrinks to about 10 ms of work a poll when the chain is slow', () => {
    // 1,024 records took 1,024 ms: 1 ms a record.
    expect(nextPollSize(BATCH, BATCH, 1_024, BATCH)).toBe(10);
    // 5 ms a record: one a poll, never none.
    expect(nextPollSize(10, 10, 50, BATCH)).toBe(2);
    expect(nextPollSize(2, 2, 100, BATCH)).toBe(1);
  });

  it('learns nothing from a poll that returned fewer records than it asked for (it may have waited for input)', () => {
    expect(nextPollSize(BATCH, 3, 500, BATCH)).toBe(BATCH);
    expect(nextPollSize(8, 0, 50, BATCH)).toBe(8);
  });
});

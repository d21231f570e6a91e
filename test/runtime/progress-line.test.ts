import { describe, expect, it } from 'vitest';
import { progressText } from '../../src/runtime/progress-line.ts';

describe('the progress line of a bounded job', () => {
  it('shows the share read and an ETA when the size is known', () => {
    expect(progressText({ read: 12_345, total: 20_000, rate: 2_010.4 })).toBe('weir: read 12,345 of 20,000 records (61%), 2,010/s, ETA 4s');
    expect(progressText({ read: 0, total: 1_000_000, rate: 100 })).toBe('weir: read 0 of 1,000,000 records (0%), 100/s, ETA 2h 46m');
    expect(progressText({ read: 1_000, total: 91_000, rate: 1_000 })).toBe('weir: read 1,000 of 91,000 records (1%), 1,000/s, ETA 1m 30s');
  });

  it('shows records and rate alone when a source does not know its size, and no ETA before records flow', () => {
    expect(progressText({ read: 5_000, total: undefined, rate: 250 })).toBe('weir: read 5,000 records, 250/s');
    expect(progressText({ read: 0, total: 10, rate: 0 })).toBe('weir: read 0 of 10 records (0%), 0/s');
  });
});

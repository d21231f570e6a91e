import { describe, expect, it } from 'vitest';
import { EndOffsetsWatch } from '../../../src/connectors/multi-region/end-offsets-watch.ts';

const map = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

describe('EndOffsetsWatch', () => {
  it('says since which checkpoint the end offsets of the subtask\'s partitions stood still, and how much was written before', () => {
    const watch = new EndOffsetsWatch();
    const positions = map({ 't:0': 10, 't:2': 5 });
    // t:1 belongs to another subtask: its end never counts here.
    expect(watch.measure(4, positions, map({ 't:0': 12, 't:1': 99, 't:2': 5 }), 1_000)).toEqual({
      checkpointId: 4,
      lagRecords: 2,
      partitions: 2,
      endOffsets: 17,
      measuredAt: 1_000,
      endsUnchangedSince: { checkpointId: 4, measuredAt: 1_000 },
    });
    expect(watch.measure(5, map({ 't:0': 12, 't:2': 5 }), map({ 't:0': 12, 't:1': 150, 't:2': 5 }), 1_300)).toMatchObject({
      lagRecords: 0,
      endsUnchangedSince: { checkpointId: 4, measuredAt: 1_000 },
      writtenSince: { checkpointId: 4, records: 0 },
    });
    // One record more on t:2: the quiet starts again at this checkpoint.
    expect(watch.measure(6, map({ 't:0': 12, 't:2': 5 }), map({ 't:0': 12, 't:2': 6 }), 1_600)).toMatchObject({
      lagRecords: 1,
      endOffsets: 18,
      endsUnchangedSince: { checkpointId: 6, measuredAt: 1_600 },
      writtenSince: { checkpointId: 5, records: 1 },
    });
    // A completion older than the last one measured (overlapping calls) changes nothing.
    expect(watch.measure(5, positions, map({ 't:0': 50, 't:2': 50 }), 1_700)).toBeUndefined();
    expect(watch.measure(7, map({ 't:0': 12, 't:2': 6 }), map({ 't:0': 12, 't:2': 6 }), 1_900)).toMatchObject({ endsUnchangedSince: { checkpointId: 6, measuredAt: 1_600 } });
  });

  it('counts a partition gained or lost as a change', () => {
    const watch = new EndOffsetsWatch();
    watch.measure(1, map({ 't:0': 3 }), map({ 't:0': 3 }), 0);
    expect(watch.measure(2, map({ 't:0': 3, 't:1': 0 }), map({ 't:0': 3, 't:1': 0 }), 10)).toMatchObject({ endsUnchangedSince: { checkpointId: 2 } });
    expect(watch.measure(3, map({ 't:0': 3 }), map({ 't:0': 3 }), 20)).toMatchObject({ endsUnchangedSince: { checkpointId: 3 } });
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeSchedule, diffOutputs, faultSchedules, filesIo, formatDiff, PROTOCOL_POINTS } from 'weir/testing';
import { validateSchedule } from '../../src/testing/schedule.ts';

interface Total {
  readonly model: string;
  readonly end: number;
}
const perModel = { perKey: (total: Total) => total.model };
const totals = (model: string, ends: readonly number[]): Total[] => ends.map((end) => ({ model, end }));

describe('diffOutputs and formatDiff', () => {
  it('finds nothing when the outputs agree per key, whatever the keys interleave', () => {
    expect(diffOutputs([...totals('a', [1, 2]), ...totals('b', [1])], [totals('b', [1])[0]!, ...totals('a', [1, 2])], perModel)).toBeUndefined();
  });

  it('names lost, duplicated and never-published records per key, a few of each and how many more', () => {
    const expected = [...totals('a', [1, 2, 3, 4, 5, 6]), ...totals('b', [1, 2])];
    const actual = [...totals('a', [1, 1, 1, 1, 1, 2, 3, 4, 5, 6]), ...totals('b', [1, 9])];
    const diff = diffOutputs(expected, actual, perModel)!;
    expect(diff.keys.map(({ key, lost, duplicated, unexpected }) => ({ key, lost, duplicated, unexpected }))).toEqual([
      { key: '"a"', lost: [], duplicated: totals('a', [1, 1, 1, 1]), unexpected: [] },
      { key: '"b"', lost: totals('b', [2]), duplicated: [], unexpected: totals('b', [9]) },
    ]);
    const text = formatDiff(diff);
    expect(text).toContain('the run under faults published 12 records, the failure-free run 8 records');
    expect(text).toContain('key "a": duplicated 4 records: {"model":"a","end":1}, {"model":"a","end":1}, {"model":"a","end":1} and 1 more');
    expect(text).toContain('key "b": lost 1 record: {"model":"b","end":2}; 1 record the failure-free run never published: {"model":"b","end":9}');
  });

  it('finds a reordering per key, and ignores order as a multiset', () => {
    const diff = diffOutputs(totals('a', [1, 2, 3]), totals('a', [1, 3, 2]), perModel)!;
    expect(diff.keys[0]!.reordered).toEqual({ index: 1, expected: { model: 'a', end: 2 }, actual: { model: 'a', end: 3 } });
    expect(formatDiff(diff)).toContain('reordered: record 1 is {"model":"a","end":3}, the failure-free run\'s is {"model":"a","end":2}');
    expect(diffOutputs(totals('a', [1, 2, 3]), totals('a', [1, 3, 2]), 'multiset')).toBeUndefined();
    expect(diffOutputs(totals('a', [1, 2]), totals('a', [2, 1, 2]), 'multiset')!.keys[0]!.duplicated).toEqual([{ model: 'a', end: 2 }]);
  });

  it('compares records by value, not by their fields\' order', () => {
    expect(diffOutputs([{ model: 'a', end: 1 }], [{ end: 1, model: 'a' }], perModel)).toBeUndefined();
  });
});

describe('faultSchedules', () => {
  it('generates plain-data schedules of the kinds files support, each valid and printable', () => {
    fc.assert(
      fc.property(faultSchedules({ io: 'files' }), (schedule) => {
        expect(JSON.parse(JSON.stringify(schedule))).toEqual(schedule);
        expect(() => validateSchedule(schedule, filesIo())).not.toThrow();
        expect(schedule.faults.length).toBeGreaterThanOrEqual(1);
        for (const fault of schedule.faults) expect(['throw', 'exit-thread', 'kill', 'second-instance']).toContain(fault.kind);
        expect(describeSchedule(schedule)).toContain(JSON.stringify(schedule));
      }),
    );
  });

  it('keeps to the kinds and points asked for, and refuses what an I/O cannot inject', () => {
    fc.assert(
      fc.property(faultSchedules({ kinds: ['kill'], points: ['before-publish'] }), (schedule) => {
        expect(schedule.faults.every((fault) => fault.kind === 'kill' && fault.point === 'before-publish')).toBe(true);
      }),
    );
    expect(() => faultSchedules({ io: 'files', kinds: ['broker-restart'] })).toThrow(/files I\/O cannot inject broker-restart/);
    expect(() => validateSchedule({ io: 'files', faults: [{ kind: 'throw', point: 'alignment', at: 3 }] }, filesIo())).toThrow(/'throw' fires at one of user-function/);
    expect(() => validateSchedule({ io: 'files', faults: [{ kind: 'kill', point: PROTOCOL_POINTS[0]!, at: 120 }] }, filesIo())).toThrow(/percentage from 0 to 99/);
  });
});

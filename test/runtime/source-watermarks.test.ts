import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WatermarkStrategy } from '../../src/api/watermark-strategy.ts';
import type { RecordTime } from '../../src/operators/operator.ts';
import { SourceWatermarks } from '../../src/runtime/source-watermarks.ts';
import { BadRecordError } from '../../src/connectors/source.ts';
import type { DeadLetter } from '../../src/connectors/dead-letter.ts';
import { MIN_WATERMARK, NO_TIMESTAMP } from '../../src/core/time.ts';

interface Ev {
  readonly ts: number;
  readonly name?: string;
}

type Emitted = { readonly wm: number } | { readonly idle: boolean };

/** A SourceWatermarks wired as SourceSubtask wires it, with a clock the test moves by hand. */
function harness(strategy: WatermarkStrategy<Ev> | undefined) {
  let now = 1_000;
  const time: RecordTime = { timestamp: NO_TIMESTAMP };
  const pushed: { record: unknown; timestamp: number }[] = [];
  const emitted: Emitted[] = [];
  const sw = new SourceWatermarks<Ev>(strategy, time, (record) => pushed.push({ record, timestamp: time.timestamp }), () => now);
  const output = { emitWatermark: (wm: number) => emitted.push({ wm }), emitIdle: (idle: boolean) => emitted.push({ idle }) };
  return {
    sw,
    pushed,
    emitted,
    time,
    /** Moves the clock by `ms` and runs one periodic emit. */
    tick(ms = 0): void {
      now += ms;
      sw.emitPeriodic(output);
    },
    watermarks: (): number[] => emitted.flatMap((e) => ('wm' in e ? [e.wm] : [])),
    idles: (): boolean[] => emitted.flatMap((e) => ('idle' in e ? [e.idle] : [])),
  };
}

const byTs = <T extends Ev>(strategy: WatermarkStrategy<T>): WatermarkStrategy<T> => strategy.withTimestamp((e) => e.ts);

describe('SourceWatermarks: per-split watermarks', () => {
  it('the subtask watermark is the minimum over its splits, and waits for every split to have one', () => {
    const h = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()));
    const a = h.sw.forSplit('a');
    const b = h.sw.forSplit('b');
    a.collect({ ts: 100 });
    h.tick();
    // Split b has seen nothing: it holds the subtask at MIN_WATERMARK.
    expect(h.emitted).toEqual([]);
    b.collect({ ts: 50 });
    h.tick();
    expect(h.watermarks()).toEqual([49]);
    b.collect({ ts: 300 });
    h.tick();
    expect(h.watermarks()).toEqual([49, 99]);
    a.collect({ ts: 200 });
    h.tick();
    expect(h.watermarks()).toEqual([49, 99, 199]);
    // The same split id gives the same split.
    expect(h.sw.forSplit('a')).toBe(a);
  });

  it('a split that goes idle (no records for the idle timeout, by the injected clock) stops holding the watermark', () => {
    const h = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()).withIdleness(100));
    const a = h.sw.forSplit('a');
    const b = h.sw.forSplit('b');
    a.collect({ ts: 10 });
    b.collect({ ts: 10 });
    h.tick();
    expect(h.watermarks()).toEqual([9]);
    a.collect({ ts: 500 });
    h.tick(60);
    expect(h.watermarks()).toEqual([9]);
    a.collect({ ts: 600 });
    // b's last records were seen at the first tick, 99 ms ago: not idle yet.
    h.tick(39);
    expect(h.watermarks()).toEqual([9]);
    a.collect({ ts: 700 });
    h.tick(1);
    // 100 ms without records: b no longer counts, a alone decides.
    expect(h.watermarks()).toEqual([9, 699]);
    expect(h.idles()).toEqual([]);
    // b is back with records behind the output: the output does not go back, and b holds it again.
    b.collect({ ts: 30 });
    a.collect({ ts: 900 });
    h.tick(1);
    expect(h.watermarks()).toEqual([9, 699]);
    b.collect({ ts: 800 });
    h.tick(1);
    expect(h.watermarks()).toEqual([9, 699, 799]);
  });

  it('when every split is idle the subtask says so once, and says active again on the next records', () => {
    const h = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()).withIdleness(50));
    const a = h.sw.forSplit('a');
    const b = h.sw.forSplit('b');
    a.collect({ ts: 10 });
    b.collect({ ts: 20 });
    h.tick();
    h.tick(49);
    expect(h.idles()).toEqual([]);
    h.tick(1);
    expect(h.idles()).toEqual([true]);
    h.tick(1000);
    expect(h.idles()).toEqual([true]);
    expect(h.watermarks()).toEqual([9]);
    b.collect({ ts: 40 });
    h.tick(1);
    // Only b is active again: it alone decides, after the status change.
    expect(h.emitted.slice(-2)).toEqual([{ idle: false }, { wm: 39 }]);
  });

  it('a subtask without splits goes idle once the timeout has passed since it started', () => {
    const h = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()).withIdleness(30));
    h.tick(29);
    expect(h.emitted).toEqual([]);
    h.tick(1);
    expect(h.emitted).toEqual([{ idle: true }]);
  });

  it('without an idle timeout a silent split holds the watermark forever', () => {
    const h = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()));
    const a = h.sw.forSplit('a');
    const b = h.sw.forSplit('b');
    a.collect({ ts: 10 });
    b.collect({ ts: 20 });
    h.tick();
    a.collect({ ts: 1_000 });
    h.tick();
    expect(h.emitted).toEqual([{ wm: 9 }, { wm: 19 }]);
    a.collect({ ts: 2_000 });
    h.tick(1_000_000);
    expect(h.emitted).toEqual([{ wm: 9 }, { wm: 19 }]);
  });

  it('a split its reader marks idle stops holding the watermark at once, without an idle timeout, until marked active or it emits', () => {
    const h = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()));
    const a = h.sw.forSplit('a');
    const b = h.sw.forSplit('b');
    a.collect({ ts: 10 });
    b.collect({ ts: 20 });
    h.tick();
    a.collect({ ts: 1_000 });
    h.sw.readerOutput.markSplitIdle!('b', true);
    h.tick();
    // b (its cluster down) no longer holds a back: a's progress goes out at the next periodic emit.
    expect(h.emitted).toEqual([{ wm: 9 }, { wm: 999 }]);
    // Marked active again: b holds the watermark as before (its own is 19, below the emitted one: nothing new).
    h.sw.readerOutput.markSplitIdle!('b', false);
    a.collect({ ts: 2_000 });
    h.tick();
    expect(h.emitted).toEqual([{ wm: 9 }, { wm: 999 }]);
    // Records of a marked split make it active too.
    h.sw.readerOutput.markSplitIdle!('b', true);
    h.tick();
    expect(h.watermarks()).toEqual([9, 999, 1_999]);
    b.collect({ ts: 1_500 });
    a.collect({ ts: 3_000 });
    h.tick();
    expect(h.watermarks()).toEqual([9, 999, 1_999]);
  });

  it('a subtask whose splits are all marked idle is idle at once, and active again when one is marked active', () => {
    const h = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()));
    h.sw.forSplit('a').collect({ ts: 10 });
    h.sw.forSplit('b').collect({ ts: 20 });
    h.tick();
    h.sw.readerOutput.markSplitIdle!('a', true);
    h.tick();
    expect(h.idles()).toEqual([]);
    h.sw.readerOutput.markSplitIdle!('b', true);
    h.tick();
    expect(h.idles()).toEqual([true]);
    h.sw.readerOutput.markSplitIdle!('a', false);
    h.tick();
    expect(h.idles()).toEqual([true, false]);
  });

  it('releasing a split removes it from the minimum', () => {
    const h = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()));
    const a = h.sw.forSplit('a');
    const b = h.sw.forSplit('b');
    a.collect({ ts: 100 });
    b.collect({ ts: 50 });
    h.tick();
    expect(h.watermarks()).toEqual([49]);
    h.sw.releaseSplit('b');
    h.tick();
    expect(h.watermarks()).toEqual([49, 99]);
    // With no split left (and no idle timeout) nothing more is emitted: no watermark, no idleness.
    h.sw.releaseSplit('a');
    h.tick(10_000);
    expect(h.emitted).toEqual([{ wm: 49 }, { wm: 99 }]);
    // A split that comes back under a released id starts afresh (MIN), behind the output: the output stays.
    const again = h.sw.forSplit('b');
    expect(again).not.toBe(b);
    again.collect({ ts: 20 });
    h.tick();
    expect(h.watermarks()).toEqual([49, 99]);
  });

  it('boundedOutOfOrderness: the watermark is the largest timestamp minus the bound minus 1 (Flink convention)', () => {
    const h = harness(byTs(WatermarkStrategy.boundedOutOfOrderness<Ev>(10)));
    const out = h.sw.readerOutput;
    h.tick();
    // No event yet: no watermark.
    expect(h.emitted).toEqual([]);
    out.collect({ ts: 100 });
    h.tick();
    expect(h.watermarks()).toEqual([89]);
    // An older event does not lower it; an equal max does not repeat it.
    out.collect({ ts: 40 });
    h.tick();
    out.collect({ ts: 100 });
    h.tick();
    expect(h.watermarks()).toEqual([89]);
    out.collect({ ts: 130 });
    out.collect({ ts: 120 });
    h.tick();
    expect(h.watermarks()).toEqual([89, 119]);
  });

  it('monotonousTimestamps: the watermark is the largest timestamp minus 1', () => {
    const h = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()));
    const out = h.sw.readerOutput;
    out.collect({ ts: 7 });
    h.tick();
    out.collect({ ts: 8 });
    out.collect({ ts: 8 });
    h.tick();
    expect(h.watermarks()).toEqual([6, 7]);
  });

  it('watermarks come from the generator only at periodic emits', () => {
    const h = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()));
    const out = h.sw.readerOutput;
    out.collect({ ts: 5 });
    out.collect({ ts: 6 });
    expect(h.emitted).toEqual([]);
    h.tick();
    expect(h.emitted).toEqual([{ wm: 5 }]);
  });

  it('custom (punctuated) generators: a split keeps the largest watermark its generator emitted', () => {
    // Emits on every event the watermark the event names, going back when told to.
    const punctuated = WatermarkStrategy.custom<Ev>(() => ({
      onEvent: (event, _timestamp, output) => output.emitWatermark(Number(event.name)),
      onPeriodicEmit: () => {},
    })).withTimestamp((e) => e.ts);
    const h = harness(punctuated);
    h.sw.forSplit('a').collect({ ts: 1, name: '100' });
    h.sw.forSplit('a').collect({ ts: 2, name: '10' });
    h.sw.forSplit('b').collect({ ts: 3, name: '200' });
    h.tick();
    expect(h.watermarks()).toEqual([100]);
  });

  it('noWatermarks: timestamps are assigned, but no watermark or idleness is ever emitted', () => {
    const h = harness(WatermarkStrategy.noWatermarks<Ev>().withTimestamp((e) => e.ts).withIdleness(1));
    h.sw.readerOutput.collect({ ts: 42 });
    h.tick(1_000);
    expect(h.emitted).toEqual([]);
    expect(h.pushed).toEqual([{ record: { ts: 42 }, timestamp: 42 }]);
  });

  it('records go downstream with their assigned timestamp; without an assigner the source timestamp is used', () => {
    const assigned = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()));
    assigned.sw.forSplit('x').collect({ ts: 3, name: 'a' }, 999);
    expect(assigned.pushed).toEqual([{ record: { ts: 3, name: 'a' }, timestamp: 3 }]);
    expect(assigned.time.timestamp).toBe(3);

    const sourceTime = harness(WatermarkStrategy.monotonousTimestamps<Ev>());
    const out = sourceTime.sw.readerOutput;
    out.collect({ ts: 3 }, 70);
    out.collect({ ts: 4 });
    expect(sourceTime.pushed).toEqual([
      { record: { ts: 3 }, timestamp: 70 },
      { record: { ts: 4 }, timestamp: NO_TIMESTAMP },
    ]);
    sourceTime.tick();
    expect(sourceTime.watermarks()).toEqual([69]);

    const none = harness(undefined);
    none.sw.readerOutput.collect({ ts: 3 }, 12);
    none.tick(10);
    expect(none.pushed).toEqual([{ record: { ts: 3 }, timestamp: 12 }]);
    expect(none.emitted).toEqual([]);
  });

  it('a timestamp assigner that returns no number, or throws, fails the record (a reader may dead-letter it)', () => {
    const h = harness(WatermarkStrategy.monotonousTimestamps<Ev>().withTimestamp(() => Number.NaN));
    expect(() => h.sw.readerOutput.collect({ ts: 1 })).toThrow(BadRecordError);
    const throwing = harness(
      WatermarkStrategy.monotonousTimestamps<Ev>().withTimestamp(() => {
        throw new RangeError('no ts');
      }),
    );
    expect(() => throwing.sw.readerOutput.collect({ ts: 1 })).toThrow(/the timestamp assigner threw: RangeError: no ts/);
    expect([...h.pushed, ...throwing.pushed]).toEqual([]);
  });

  it('dead letters are offered only when wired; they carry their timestamp and move no watermark', () => {
    expect(harness(undefined).sw.readerOutput.deadLetters).toBeUndefined();
    const time: RecordTime = { timestamp: NO_TIMESTAMP };
    const letters: { letter: DeadLetter; timestamp: number }[] = [];
    const emitted: number[] = [];
    const sw = new SourceWatermarks<Ev>(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()), time, () => {}, () => 0, (letter) =>
      letters.push({ letter, timestamp: time.timestamp }),
    );
    const letter: DeadLetter = { reason: 'bad', operator: 'src', source: { kind: 'kafka', topic: 't', partition: 0, offset: 7 }, key: null, value: null, headers: {}, timestamp: 500 };
    sw.forSplit('a').collect({ ts: 10 });
    sw.readerOutput.deadLetters!(letter);
    sw.emitPeriodic({ emitWatermark: (wm) => emitted.push(wm), emitIdle: () => {} });
    expect(letters).toEqual([{ letter, timestamp: 500 }]);
    expect(emitted).toEqual([9]);
  });

  it('strategies check their arguments', () => {
    expect(() => WatermarkStrategy.boundedOutOfOrderness(-1)).toThrow(RangeError);
    expect(() => WatermarkStrategy.monotonousTimestamps().withIdleness(0)).toThrow(RangeError);
  });

  // The subtask hands `readerOutput` to its reader. A reader that emits only through `forSplit` (multi-split
  // readers) must not find an empty default split holding its watermark at MIN_WATERMARK.
  it('a reader that emits only per split is not held back by the default split', () => {
    const h = harness(byTs(WatermarkStrategy.monotonousTimestamps<Ev>()));
    const output = h.sw.readerOutput;
    output.forSplit('p0').collect({ ts: 100 });
    output.forSplit('p1').collect({ ts: 200 });
    h.tick();
    expect(h.watermarks()).toEqual([99]);
  });
});

describe('SourceWatermarks against a model', () => {
  type Op =
    | { readonly t: 'event'; readonly split: number; readonly ts: number }
    | { readonly t: 'tick'; readonly ms: number }
    | { readonly t: 'release'; readonly split: number };

  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ t: fc.constant('event' as const), split: fc.nat(2), ts: fc.integer({ min: 0, max: 500 }) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 60 }) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('release' as const), split: fc.nat(2) }) },
  );

  it('bounded out-of-orderness with idleness, random events, clock moves and releases', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 100 }), (ops, bound, timeout) => {
        const h = harness(byTs(WatermarkStrategy.boundedOutOfOrderness<Ev>(bound)).withIdleness(timeout));
        // Model: per live split its max timestamp, records since the last periodic check and when it was last seen active.
        interface S {
          max: number;
          dirty: boolean;
          lastActive: number;
        }
        const splits = new Map<number, S>();
        const started = 0;
        let clock = 0;
        let output = MIN_WATERMARK;
        let idle = false;
        const expected: Emitted[] = [];
        for (const op of ops) {
          if (op.t === 'event') {
            let s = splits.get(op.split);
            if (s === undefined) splits.set(op.split, (s = { max: Number.NEGATIVE_INFINITY, dirty: false, lastActive: clock }));
            s.max = Math.max(s.max, op.ts);
            s.dirty = true;
            h.sw.forSplit(String(op.split)).collect({ ts: op.ts });
          } else if (op.t === 'release') {
            splits.delete(op.split);
            h.sw.releaseSplit(String(op.split));
          } else {
            clock += op.ms;
            const active: number[] = [];
            for (const s of splits.values()) {
              if (s.dirty) {
                s.dirty = false;
                s.lastActive = clock;
              }
              if (clock - s.lastActive < timeout) active.push(s.max === Number.NEGATIVE_INFINITY ? MIN_WATERMARK : s.max - bound - 1);
            }
            const idleNow = active.length === 0 && (splits.size > 0 || clock - started >= timeout);
            if (idleNow !== idle) expected.push({ idle: (idle = idleNow) });
            if (!idleNow && active.length > 0 && Math.min(...active) > output) expected.push({ wm: (output = Math.min(...active)) });
            h.tick(op.ms);
          }
        }
        expect(h.emitted).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

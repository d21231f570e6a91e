import { afterEach, describe, expect, test } from 'vitest';
import { existsSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import {
  OutputTag,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  ValueStateDescriptor,
  type AggregateFunction,
  type DataStream,
  type KeyedProcessFunction,
  type ProcessWindowFunction,
  type TimeWindow,
} from 'weir';
import { OperatorHarness } from 'weir/testing';

interface Reading {
  readonly sensor: string;
  readonly value: number;
}

const open: OperatorHarness<unknown, unknown>[] = [];
/** Every harness a test opens is closed after it, even when an assertion failed. */
async function track<I, O>(harness: Promise<OperatorHarness<I, O>>): Promise<OperatorHarness<I, O>> {
  const opened = await harness;
  open.push(opened as OperatorHarness<unknown, unknown>);
  return opened;
}
afterEach(async () => {
  for (const harness of open.splice(0)) await harness.close();
});

describe('the operator harness on a window', () => {
  const sum: AggregateFunction<Reading, { count: number; total: number }, { count: number; total: number }> = {
    createAccumulator: () => ({ count: 0, total: 0 }),
    add: (reading, acc) => ({ count: acc.count + 1, total: acc.total + reading.value }),
    getResult: (acc) => acc,
  };
  const describeWindow: ProcessWindowFunction<{ count: number; total: number }, string, string, TimeWindow> = (sensor, ctx, [result], out) => {
    out.collect(`${sensor} [${ctx.window.start},${ctx.window.end}) n=${result!.count} sum=${result!.total}`);
  };
  const late = new OutputTag<Reading>('late readings');
  const tumbling = (lateness: number) =>
    OperatorHarness.window(
      (reading: Reading) => reading.sensor,
      TumblingEventTimeWindows.of(1_000),
      (windows) => windows.allowedLateness(lateness).sideOutputLateData(late).aggregate(sum, describeWindow),
    );

  test('a tumbling event-time window fires at the watermark, again for data within the allowed lateness, and sends later data to the side output', async () => {
    const harness = await track(tumbling(500));
    harness.processElement({ sensor: 'a', value: 1 }, 100);
    harness.processElement({ sensor: 'a', value: 2 }, 300);
    harness.processElement({ sensor: 'b', value: 5 }, 500);
    harness.processElement({ sensor: 'a', value: 7 }, 1_200);
    expect(harness.output()).toEqual([]);

    harness.processWatermark(999);
    // The window's results carry its last timestamp; the watermark goes on after them.
    expect(harness.output()).toEqual([
      { value: 'a [0,1000) n=2 sum=3', timestamp: 999 },
      { value: 'b [0,1000) n=1 sum=5', timestamp: 999 },
    ]);
    expect(harness.watermarks()).toEqual([999]);
    harness.clearOutput();

    // Late, but within the allowed lateness: the window is still kept and fires again with the element.
    harness.processElement({ sensor: 'a', value: 10 }, 400);
    expect(harness.output()).toEqual([{ value: 'a [0,1000) n=3 sum=13', timestamp: 999 }]);
    expect(harness.sideOutput(late)).toEqual([]);
    harness.clearOutput();

    // At 1499 the window [0, 1000) is purged: its elements now go to the side output, with their timestamps.
    harness.processWatermark(1_499);
    harness.processElement({ sensor: 'a', value: 100 }, 600);
    harness.processElement({ sensor: 'c', value: 1 }, 998);
    expect(harness.output()).toEqual([]);
    expect(harness.sideOutput(late)).toEqual([
      { value: { sensor: 'a', value: 100 }, timestamp: 600 },
      { value: { sensor: 'c', value: 1 }, timestamp: 998 },
    ]);
    expect(harness.lateRecordsDropped).toBe(0);

    harness.processWatermark(2_000);
    expect(harness.values()).toEqual(['a [1000,2000) n=1 sum=7']);
    expect(harness.watermarks()).toEqual([1_499, 2_000]);
  });

  test('without allowed lateness a late element goes to the side output at once, and without a side output it is counted as dropped', async () => {
    const strict = await track(tumbling(0));
    strict.processElement({ sensor: 'a', value: 1 }, 100);
    strict.processWatermark(999);
    strict.processElement({ sensor: 'a', value: 2 }, 200);
    expect(strict.values()).toEqual(['a [0,1000) n=1 sum=1']);
    expect(strict.sideValues(late)).toEqual([{ sensor: 'a', value: 2 }]);

    const dropping = await track(
      OperatorHarness.window((reading: Reading) => reading.sensor, TumblingEventTimeWindows.of(1_000), (windows) => windows.reduce((a, b) => ({ ...a, value: a.value + b.value }))),
    );
    dropping.processWatermark(999);
    dropping.processElement({ sensor: 'a', value: 2 }, 200);
    expect(dropping.values()).toEqual([]);
    expect(dropping.lateRecordsDropped).toBe(1);
  });

  test('a processing-time window fires when the test moves the clock', async () => {
    const harness = await track(
      OperatorHarness.window((reading: Reading) => reading.sensor, TumblingProcessingTimeWindows.of(1_000), (windows) => windows.aggregate(sum), {
        processingTime: 10_250,
      }),
    );
    harness.processElement({ sensor: 'a', value: 1 });
    harness.processElement({ sensor: 'a', value: 2 });
    harness.setProcessingTime(10_998);
    expect(harness.values()).toEqual([]);
    harness.advanceProcessingTime(1);
    expect(harness.output()).toEqual([{ value: { count: 2, total: 3 }, timestamp: 10_999 }]);
  });
});

interface Click {
  readonly user: string;
  readonly page: string;
}

const CLICKS = new ValueStateDescriptor<number>('clicks');

/**
 * Counts each user's clicks; reports the count one second of event time after each click, and once the user was
 * idle for five seconds of processing time, when it also starts the count again.
 */
const clickCounter: KeyedProcessFunction<string, Click, string> = {
  processElement(_click, ctx) {
    const clicks = ctx.getState(CLICKS);
    clicks.update((clicks.value() ?? 0) + 1);
    ctx.timerService.registerEventTimeTimer(ctx.timestamp + 1_000);
    ctx.timerService.registerProcessingTimeTimer(ctx.timerService.currentProcessingTime() + 5_000);
  },
  onTimer(timestamp, ctx, out) {
    const clicks = ctx.getState(CLICKS);
    out.collect(`${ctx.currentKey} ${ctx.timeDomain} ${timestamp}: ${clicks.value()}`);
    if (ctx.timeDomain === 'processing') clicks.clear();
  },
};

describe('the operator harness on a keyed process function', () => {
  const counter = (options = {}) => OperatorHarness.keyedProcess((click: Click) => click.user, clickCounter, options);

  test('event- and processing-time timers fire with the key and its state, and a snapshot restores both in a fresh harness', async () => {
    const harness = await track(counter());
    harness.processElement({ user: 'ann', page: '/' }, 100);
    harness.processElement({ user: 'ann', page: '/pricing' }, 200);
    harness.processElement({ user: 'bob', page: '/' }, 300);
    harness.processWatermark(1_150);
    expect(harness.output()).toEqual([{ value: 'ann event 1100: 2', timestamp: 1_100 }]);

    const snapshot = await harness.snapshot();
    const restored = await track(counter({ restore: snapshot }));
    expect(restored.output()).toEqual([]);

    // Both go on alike: the restored one fires timers it never registered, over state it never wrote.
    for (const run of [harness, restored]) {
      run.clearOutput();
      run.processWatermark(1_300);
      run.setProcessingTime(4_999);
      run.setProcessingTime(5_000);
      run.processElement({ user: 'ann', page: '/docs' }, 6_000);
      run.processWatermark(7_000);
    }
    const expected = ['ann event 1200: 2', 'bob event 1300: 1', 'ann processing 5000: 2', 'bob processing 5000: 1', 'ann event 7000: 1'];
    expect(restored.values()).toEqual(expected);
    expect(harness.values()).toEqual(expected);
    expect(restored.output()[2]).toEqual({ value: 'ann processing 5000: 2', timestamp: 5_000 });
    // The processing-time timer cleared bob's count; ann counts again from her click at 6000.
    expect(restored.keyedState('bob', CLICKS).value()).toBeUndefined();
    expect(restored.keyedState('ann', CLICKS).value()).toBe(1);

    // A second snapshot of the restored harness restores again: the processing-time timer set at 5000 for 10000.
    const again = await track(counter({ restore: await restored.snapshot(), processingTime: 9_000 }));
    again.setProcessingTime(10_000);
    expect(again.values()).toEqual(['ann processing 10000: 1']);
  });

  test('state time-to-live runs on the harness clock', async () => {
    const lastPage = new ValueStateDescriptor<string>('last page', { ttl: { ttlMs: 10_000 } });
    const harness = await track(
      OperatorHarness.keyedProcess((click: Click) => click.user, (click: Click, ctx, out) => {
        out.collect(`${click.user} was on ${ctx.getState(lastPage).value() ?? 'nothing'}`);
        ctx.getState(lastPage).update(click.page);
      }),
    );
    harness.processElement({ user: 'ann', page: '/a' });
    harness.setProcessingTime(9_999);
    harness.processElement({ user: 'ann', page: '/b' });
    harness.setProcessingTime(20_000);
    harness.processElement({ user: 'ann', page: '/c' });
    expect(harness.values()).toEqual(['ann was on nothing', 'ann was on /a', 'ann was on nothing']);
  });

  test('a failing user function fails the call with the OperatorError a job fails with, naming the operator and record', async () => {
    const harness = await track(
      OperatorHarness.keyedProcess((click: Click) => click.user, (click: Click) => {
        if (click.page === '') throw new Error('empty page');
      }),
    );
    expect(() => harness.processElement({ user: 'ann', page: '' }, 1)).toThrow(
      expect.objectContaining({ name: 'OperatorError', message: expect.stringMatching(/empty page/) }),
    );
  });

  test('endInput fires the remaining event-time timers, and the harness removes its state directory on close', async () => {
    const harness = await counter();
    harness.processElement({ user: 'ann', page: '/' }, 100);
    await harness.endInput();
    expect(harness.values()).toEqual(['ann event 1100: 1']);
    expect(() => harness.processElement({ user: 'ann', page: '/' }, 200)).toThrow(/input has ended/);
    const dir = (harness as unknown as { dir: string }).dir;
    expect(existsSync(dir)).toBe(true);
    await harness.close();
    expect(existsSync(dir)).toBe(false);
    expect(() => harness.processWatermark(5)).toThrow(/closed/);
  });
});

describe('the operator harness on stateless functions', () => {
  test('map, flatMap and a process function with a side output, in the test\'s own thread', async () => {
    const doubled = await track(OperatorHarness.map((n: number) => n * 2));
    doubled.processElement(4, 10);
    expect(doubled.output()).toEqual([{ value: 8, timestamp: 10 }]);

    const words = await track(OperatorHarness.flatMap((line: string) => line.split(' ')));
    words.processElement('to be');
    expect(words.values()).toEqual(['to', 'be']);

    const invalid = new OutputTag<string>('invalid');
    const threads = new Set<number>();
    const parse = await track(
      OperatorHarness.process<string, number>((text, ctx, out) => {
        threads.add(ctx.threadId);
        const n = Number(text);
        if (Number.isNaN(n)) ctx.output(invalid, text);
        else out.collect(n);
      }),
    );
    parse.processElements([['1', 1], ['x', 2], ['3', 3]]);
    expect(parse.values()).toEqual([1, 3]);
    expect(parse.sideOutput(invalid)).toEqual([{ value: 'x', timestamp: 2 }]);
    // The function ran in the test's own thread: no worker.
    expect([...threads]).toEqual([threadId]);
    // A stateless operator forwards watermarks as they come.
    parse.processWatermark(5);
    expect(parse.watermarks()).toEqual([5]);
  });

  test('bad input gets a clear error', async () => {
    await expect(OperatorHarness.of((input: DataStream<number>) => input.map((n) => n).map((n) => n + 1))).rejects.toThrow(/tests one operator.*'map', 'map'/);
    await expect(OperatorHarness.of((input) => input)).rejects.toThrow(/added none/);
    const harness = await track(OperatorHarness.map((n: number) => n));
    harness.processWatermark(10);
    expect(() => harness.processWatermark(5)).toThrow(/behind the current watermark 10/);
    expect(() => harness.setProcessingTime(-1)).toThrow(/only moves forward/);
    expect(() => harness.processElement(1, Number.NaN)).toThrow(/timestamp must be a number/);
    const other = await track(OperatorHarness.flatMap((n: number) => [n]));
    await expect(OperatorHarness.map((n: number) => n, { restore: await other.snapshot() })).rejects.toThrow(/snapshot is of operator '1-flatMap', not '1-map'/);
  });
});

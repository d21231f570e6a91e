import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../../src/api/environment.ts';
import { CollectSink } from '../../../src/connectors/memory.ts';
import { LocalChannel } from '../../../src/runtime/channels/local-channel.ts';
import { planDeployment } from '../../../src/runtime/deployment.ts';
import type { ChannelItem } from '../../../src/runtime/messages.ts';
import { planJob } from '../../../src/runtime/planner.ts';
import { StatsBoard } from '../../../src/runtime/stats-board.ts';

/** A stats board for a real tiny plan: elements -> keyBy -> reduce -> sink, so the hash edge has channels (slots 0, 1). */
function statsBoard(): StatsBoard {
  const env = new StreamExecutionEnvironment();
  env
    .fromElements(1, 2, 3)
    .keyBy((x) => x)
    .reduce((a, b) => a + b)
    .sinkTo(new CollectSink<number>('out'));
  const plan = planJob(env, { defaultParallelism: 2 });
  const deployment = planDeployment(plan, 2);
  expect(deployment.channels).toHaveLength(2);
  return new StatsBoard(plan, deployment);
}

/** batchSize 2, credits 2, on slot 0; counts the receiver's onData and the sender's onAvailable calls. */
function setup() {
  const stats = statsBoard();
  const channel = new LocalChannel('0:0:0', 0, 2, 2, stats, 0);
  const calls = { data: 0, available: 0 };
  channel.input.onData = () => void calls.data++;
  channel.output.onAvailable = () => void calls.available++;
  const drain = (): ChannelItem[] => {
    const items: ChannelItem[] = [];
    for (let item = channel.input.poll(); item !== undefined; item = channel.input.poll()) items.push(item);
    return items;
  };
  return { stats, channel, calls, drain, input: channel.input, output: channel.output };
}

/** Each test record's event timestamp is ten times its value, so the parallel timestamps array is checked too. */
const records = (...values: number[]): ChannelItem => ({ t: 'records', records: values, timestamps: values.map((v) => v * 10) });

describe('LocalChannel credit-based flow control', () => {
  it('closes a batch at batchSize and delivers it while credit lasts', () => {
    const { output, input, calls, drain } = setup();
    output.push(1, 1 * 10);
    expect(output.hasOpenBatch()).toBe(true);
    expect(input.poll()).toBeUndefined();
    output.push(2, 2 * 10);
    expect(output.hasOpenBatch()).toBe(false);
    expect(calls.data).toBe(1);
    output.push(3, 3 * 10);
    output.push(4, 4 * 10);
    expect(drain()).toEqual([records(1, 2), records(3, 4)]);
    expect(output.isAvailable()).toBe(true);
    expect(output.isDrained()).toBe(true);
  });

  it('holds the third batch until the receiver releases a batch, then delivers it and fires onAvailable', () => {
    const { output, input, calls, drain } = setup();
    for (let value = 1; value <= 6; value++) output.push(value, value * 10);
    expect(calls.data).toBe(2);
    expect(output.isAvailable()).toBe(false);
    expect(output.isDrained()).toBe(false);

    const first = input.poll();
    expect(first).toEqual(records(1, 2));
    expect(calls.available).toBe(0);
    input.release(2);
    expect(calls.data).toBe(3);
    expect(calls.available).toBe(1);
    expect(output.isAvailable()).toBe(true);
    expect(drain()).toEqual([records(3, 4), records(5, 6)]);
  });

  it('does not send beyond the credit returned: one release lets exactly one waiting batch through', () => {
    const { output, input, calls, drain } = setup();
    for (let value = 1; value <= 8; value++) output.push(value, value * 10); // batches 1-2 and 3-4 sent, 5-6 and 7-8 wait
    drain();
    input.release(2);
    expect(drain()).toEqual([records(5, 6)]);
    expect(output.isAvailable()).toBe(false);
    expect(calls.available).toBe(0);
    input.release(2);
    expect(drain()).toEqual([records(7, 8)]);
    expect(output.isAvailable()).toBe(true);
    expect(calls.available).toBe(1);
  });

  it('flushes a partial batch and ignores a flush with nothing open', () => {
    const { output, calls, drain } = setup();
    output.flush();
    expect(calls.data).toBe(0);
    output.push(1, 1 * 10);
    output.flush();
    expect(drain()).toEqual([records(1)]);
  });

  it('keeps events in order behind batches that wait for credit', () => {
    const { output, input, drain } = setup();
    for (let value = 1; value <= 5; value++) output.push(value, value * 10); // 1-2, 3-4 sent; 5 open
    output.sendEvent({ t: 'end' }); // flushes [5], which waits, and the event waits behind it
    expect(drain()).toEqual([records(1, 2), records(3, 4)]);
    expect(output.isAvailable()).toBe(false);
    input.release(2);
    expect(drain()).toEqual([records(5), { t: 'end' }]);
    expect(output.isAvailable()).toBe(true);
    expect(output.isDrained()).toBe(true);
  });

  it('sends an event at once when nothing waits, even without credit', () => {
    const { output, drain } = setup();
    for (let value = 1; value <= 4; value++) output.push(value, value * 10); // both credits used
    output.sendEvent({ t: 'end' });
    expect(drain()).toEqual([records(1, 2), records(3, 4), { t: 'end' }]);
  });
});

describe('StatsBoard in-flight counters on a LocalChannel', () => {
  it('raise on flush (sent or waiting), fall on release, and keep the high-water mark', () => {
    const { stats, output, input } = setup();
    expect(stats.inFlightRecords(0)).toBe(0);
    output.push(1, 1 * 10);
    expect(stats.inFlightRecords(0)).toBe(0); // an open batch is not in flight yet
    output.push(2, 2 * 10);
    expect(stats.inFlightRecords(0)).toBe(2);
    for (let value = 3; value <= 7; value++) output.push(value, value * 10);
    output.flush(); // batches 1-2, 3-4 sent; 5-6 and 7 waiting
    expect(stats.inFlightRecords(0)).toBe(7);
    expect(stats.maxInFlightRecords(0)).toBe(7);

    input.poll();
    input.release(2);
    expect(stats.inFlightRecords(0)).toBe(5);
    input.poll();
    input.release(2);
    expect(stats.inFlightRecords(0)).toBe(3);
    expect(stats.maxInFlightRecords(0)).toBe(7);

    output.push(8, 8 * 10);
    output.flush();
    expect(stats.inFlightRecords(0)).toBe(4);
    expect(stats.maxInFlightRecords(0)).toBe(7);
    // the other channel's counters are untouched
    expect(stats.inFlightRecords(1)).toBe(0);
    expect(stats.maxInFlightRecords(1)).toBe(0);
  });

  it('shares counters through its SharedArrayBuffer', () => {
    const { stats, output } = setup();
    output.push(1, 1 * 10);
    output.push(2, 2 * 10);
    const env = new StreamExecutionEnvironment();
    env.fromElements(1).keyBy((x) => x).reduce((a, b) => a + b).sinkTo(new CollectSink<number>('out'));
    const plan = planJob(env, { defaultParallelism: 2 });
    const view = new StatsBoard(plan, planDeployment(plan, 2), stats.buffer);
    expect(view.inFlightRecords(0)).toBe(2);
    expect(view.maxInFlightRecords(0)).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WatermarkValve } from '../../src/runtime/watermark-valve.ts';
import { MAX_WATERMARK } from '../../src/core/time.ts';

/** What the valve told its subtask, in order. */
type Emitted = { readonly wm: number } | { readonly idle: boolean };

function valveOf(channels: number): { valve: WatermarkValve; emitted: Emitted[]; watermarks: () => number[] } {
  const emitted: Emitted[] = [];
  const valve = new WatermarkValve(channels, {
    emitWatermark: (timestamp) => emitted.push({ wm: timestamp }),
    emitIdle: (idle) => emitted.push({ idle }),
  });
  const watermarks = (): number[] => emitted.flatMap((e) => ('wm' in e ? [e.wm] : []));
  return { valve, emitted, watermarks };
}

describe('WatermarkValve', () => {
  it('emits the minimum over channels, and nothing until every channel has a watermark', () => {
    const { valve, emitted } = valveOf(3);
    valve.onWatermark(0, 10);
    valve.onWatermark(1, 20);
    expect(emitted).toEqual([]);
    expect(valve.currentWatermark).toBe(Number.NEGATIVE_INFINITY);
    valve.onWatermark(2, 5);
    expect(emitted).toEqual([{ wm: 5 }]);
    valve.onWatermark(2, 30);
    expect(emitted).toEqual([{ wm: 5 }, { wm: 10 }]);
    valve.onWatermark(0, 25);
    expect(emitted).toEqual([{ wm: 5 }, { wm: 10 }, { wm: 20 }]);
    expect(valve.currentWatermark).toBe(20);
  });

  it('never goes backwards: a channel that regresses is ignored, and an equal minimum is not re-emitted', () => {
    const { valve, emitted } = valveOf(2);
    valve.onWatermark(0, 10);
    valve.onWatermark(1, 10);
    expect(emitted).toEqual([{ wm: 10 }]);
    // Channel 1 sends an older watermark: its own watermark stays 10, so nothing changes.
    valve.onWatermark(1, 3);
    valve.onWatermark(0, 15);
    expect(emitted).toEqual([{ wm: 10 }]);
    valve.onWatermark(1, 12);
    expect(emitted).toEqual([{ wm: 10 }, { wm: 12 }]);
    valve.onWatermark(1, 12);
    expect(emitted).toEqual([{ wm: 10 }, { wm: 12 }]);
  });

  it("keeps each channel's largest watermark, even before the output has one", () => {
    const { valve, emitted } = valveOf(2);
    valve.onWatermark(0, 10);
    valve.onWatermark(0, 3);
    valve.onWatermark(1, 20);
    expect(emitted).toEqual([{ wm: 10 }]);
  });

  it('excludes idle channels from the minimum; idleness goes downstream only when every channel is idle', () => {
    const { valve, emitted } = valveOf(3);
    valve.onWatermark(0, 100);
    valve.onWatermark(1, 50);
    valve.onIdle(2, true);
    // Channel 2 never sent a watermark but is idle: it does not hold the others back.
    expect(emitted).toEqual([{ wm: 50 }]);
    valve.onIdle(1, true);
    expect(emitted).toEqual([{ wm: 50 }, { wm: 100 }]);
    // Channel 0 is still active: the subtask is not idle.
    expect(emitted.some((e) => 'idle' in e)).toBe(false);
    valve.onIdle(0, true);
    expect(emitted).toEqual([{ wm: 50 }, { wm: 100 }, { idle: true }]);
    // Idle again: no repeated status.
    valve.onIdle(0, true);
    valve.onIdle(1, true);
    expect(emitted).toHaveLength(3);
    // A channel becoming active (by a watermark) makes the subtask active before its watermark goes out.
    valve.onWatermark(0, 150);
    expect(emitted.slice(3)).toEqual([{ idle: false }, { wm: 150 }]);
  });

  it('records on an idle channel make it (and the subtask) active again', () => {
    const { valve, emitted } = valveOf(2);
    valve.onWatermark(0, 10);
    valve.onWatermark(1, 20);
    valve.onIdle(0, true);
    valve.onIdle(1, true);
    expect(emitted).toEqual([{ wm: 10 }, { wm: 20 }, { idle: true }]);
    valve.onRecords(1);
    expect(emitted).toEqual([{ wm: 10 }, { wm: 20 }, { idle: true }, { idle: false }]);
    // Records on an active channel change nothing.
    valve.onRecords(1);
    expect(emitted).toHaveLength(4);
    // Channel 0 is still idle: channel 1 alone decides.
    valve.onWatermark(1, 40);
    expect(emitted.at(-1)).toEqual({ wm: 40 });
    // onIdle(false) also reactivates a channel.
    valve.onIdle(0, false);
    valve.onWatermark(1, 60);
    expect(emitted.at(-1)).toEqual({ wm: 40 });
    valve.onWatermark(0, 70);
    expect(emitted.at(-1)).toEqual({ wm: 60 });
  });

  it('a channel returning from idle behind the output does not move it back, and holds it until it catches up', () => {
    const { valve, emitted, watermarks } = valveOf(2);
    valve.onWatermark(0, 5);
    valve.onWatermark(1, 5);
    valve.onIdle(1, true);
    valve.onWatermark(0, 100);
    expect(watermarks()).toEqual([5, 100]);
    // Channel 1 comes back at 20 < 100: the output stays at 100.
    valve.onWatermark(1, 20);
    expect(valve.currentWatermark).toBe(100);
    expect(watermarks()).toEqual([5, 100]);
    // It is active again, so it is in the minimum: channel 0 alone no longer advances the output (weir's choice;
    // Flink would leave the channel "unaligned" and advance on channel 0).
    valve.onWatermark(0, 200);
    expect(watermarks()).toEqual([5, 100]);
    valve.onWatermark(1, 150);
    expect(watermarks()).toEqual([5, 100, 150]);
    expect(emitted.every((e) => 'wm' in e)).toBe(true);
  });

  it('ended channels hold nothing back; when all end, the output is the maximum watermark', () => {
    const { valve, emitted, watermarks } = valveOf(3);
    valve.onWatermark(0, 10);
    valve.onWatermark(1, 20);
    valve.onWatermark(2, 30);
    valve.onEnd(0);
    expect(watermarks()).toEqual([10, 20]);
    valve.onEnd(2);
    expect(watermarks()).toEqual([10, 20]);
    valve.onEnd(1);
    expect(watermarks()).toEqual([10, 20, MAX_WATERMARK]);
    expect(valve.currentWatermark).toBe(MAX_WATERMARK);
    expect(emitted.some((e) => 'idle' in e)).toBe(false);
  });

  it('a channel that ends without any watermark ends event time as well', () => {
    const { valve, watermarks } = valveOf(1);
    valve.onEnd(0);
    expect(watermarks()).toEqual([MAX_WATERMARK]);
  });

  it('the last active channel ending while the rest are idle makes the subtask idle; all ended makes it active at MAX', () => {
    const { valve, emitted } = valveOf(2);
    valve.onWatermark(0, 10);
    valve.onWatermark(1, 40);
    valve.onIdle(1, true);
    expect(emitted).toEqual([{ wm: 10 }]);
    valve.onEnd(0);
    // Only the idle channel is open: the subtask is idle, its watermark stays where it was.
    expect(emitted).toEqual([{ wm: 10 }, { idle: true }]);
    valve.onEnd(1);
    expect(emitted).toEqual([{ wm: 10 }, { idle: true }, { idle: false }, { wm: MAX_WATERMARK }]);
  });

  it('when every channel goes idle the output stays at the last minimum (no flush to the maximum, unlike Flink)', () => {
    const { valve, emitted } = valveOf(2);
    valve.onWatermark(0, 300);
    valve.onWatermark(1, 50);
    valve.onIdle(0, true);
    valve.onIdle(1, true);
    expect(emitted).toEqual([{ wm: 50 }, { idle: true }]);
    expect(valve.currentWatermark).toBe(50);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Property: the valve against a small model of the contract.

type ValveEvent =
  | { readonly t: 'wm'; readonly ch: number; readonly ts: number }
  | { readonly t: 'idle'; readonly ch: number; readonly idle: boolean }
  | { readonly t: 'records'; readonly ch: number }
  | { readonly t: 'end'; readonly ch: number };

/**
 * The contract, stated directly: a channel's watermark is the largest it sent (MAX once ended); a channel is idle
 * from an idle(true) until its next idle(false), watermark or records; the subtask is idle exactly when it has open
 * channels and all of them are idle (announced on change, before any watermark); otherwise the output is the
 * running maximum of the minimum over open, active channels (MAX when none is open).
 */
function model(channels: number, events: readonly ValveEvent[]): Emitted[] {
  const out: Emitted[] = [];
  const history: ValveEvent[] = [];
  let output = Number.NEGATIVE_INFINITY;
  let subtaskIdle = false;
  for (const event of events) {
    history.push(event);
    const state = Array.from({ length: channels }, (_, ch) => {
      const mine = history.filter((e) => e.ch === ch);
      const ended = mine.some((e) => e.t === 'end');
      const watermark = ended ? MAX_WATERMARK : Math.max(Number.NEGATIVE_INFINITY, ...mine.flatMap((e) => (e.t === 'wm' ? [e.ts] : [])));
      const lastStatus = [...mine].reverse().find((e) => e.t !== 'end');
      const idle = lastStatus !== undefined && lastStatus.t === 'idle' && lastStatus.idle;
      return { ended, watermark, idle };
    });
    const open = state.filter((s) => !s.ended);
    const active = open.filter((s) => !s.idle);
    const idleNow = open.length > 0 && active.length === 0;
    if (idleNow !== subtaskIdle) {
      subtaskIdle = idleNow;
      out.push({ idle: idleNow });
    }
    if (idleNow) continue;
    const minimum = Math.min(...active.map((s) => s.watermark));
    if (minimum > output) {
      output = minimum;
      out.push({ wm: minimum });
    }
  }
  return out;
}

const scenarioArb = fc.integer({ min: 1, max: 4 }).chain((channels) =>
  fc.record({
    channels: fc.constant(channels),
    events: fc.array(
      fc.oneof(
        { weight: 5, arbitrary: fc.record({ t: fc.constant('wm' as const), ch: fc.nat(channels - 1), ts: fc.integer({ min: -20, max: 100 }) }) },
        { weight: 2, arbitrary: fc.record({ t: fc.constant('idle' as const), ch: fc.nat(channels - 1), idle: fc.boolean() }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('records' as const), ch: fc.nat(channels - 1) }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('end' as const), ch: fc.nat(channels - 1) }) },
      ),
      { maxLength: 60 },
    ),
  }),
);

describe('WatermarkValve against the model', () => {
  it('random watermark / idle / records / end sequences: same output as the model, watermarks strictly increasing', () => {
    fc.assert(
      fc.property(scenarioArb, ({ channels, events }) => {
        // The runtime sends nothing on a channel after its end.
        const ended = new Set<number>();
        const delivered = events.filter((event) => {
          if (ended.has(event.ch)) return false;
          if (event.t === 'end') ended.add(event.ch);
          return true;
        });
        const { valve, emitted, watermarks } = valveOf(channels);
        for (const event of delivered) {
          switch (event.t) {
            case 'wm':
              valve.onWatermark(event.ch, event.ts);
              break;
            case 'idle':
              valve.onIdle(event.ch, event.idle);
              break;
            case 'records':
              valve.onRecords(event.ch);
              break;
            case 'end':
              valve.onEnd(event.ch);
              break;
          }
        }
        expect(emitted).toEqual(model(channels, delivered));
        const wms = watermarks();
        for (let i = 1; i < wms.length; i++) expect(wms[i]!).toBeGreaterThan(wms[i - 1]!);
        expect(valve.currentWatermark).toBe(wms.at(-1) ?? Number.NEGATIVE_INFINITY);
        // Idle announcements alternate, starting with idle.
        const statuses = emitted.flatMap((e) => ('idle' in e ? [e.idle] : []));
        statuses.forEach((idle, i) => expect(idle).toBe(i % 2 === 0));
        if (ended.size === channels) expect(wms.at(-1)).toBe(MAX_WATERMARK);
      }),
      { numRuns: 500 },
    );
  });
});

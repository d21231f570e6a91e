import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BarrierAligner } from '../../src/checkpoint/barrier-aligner.ts';

type Item = { readonly record: string } | { readonly barrier: number };

/**
 * Channels as the runtime delivers them: records and barriers of increasing checkpoint ids (a channel may miss one,
 * as after an upstream abort), then the end. `order` picks, step by step, which readable channel the subtask reads.
 */
const channelsArb = fc.integer({ min: 1, max: 4 }).chain((count) =>
  fc.tuple(
    fc.array(
      fc.array(fc.oneof(fc.constant('record' as const), fc.integer({ min: 1, max: 5 })), { maxLength: 30, size: 'max' }),
      { minLength: count, maxLength: count },
    ),
    fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
  ),
);

function channelsFrom(draws: readonly (readonly ('record' | number)[])[]): Item[][] {
  return draws.map((draw, channel) => {
    let last = 0;
    const items: Item[] = [];
    draw.forEach((d, i) => {
      if (d === 'record') items.push({ record: `${channel}:${i}` });
      else if (d > last) items.push({ barrier: (last = d) });
    });
    return items;
  });
}

describe('BarrierAligner', () => {
  it('a snapshot sees exactly the records before its barrier on every channel, and reading never deadlocks', () => {
    fc.assert(
      fc.property(channelsArb, ([draws, order]) => {
        const channels = channelsFrom(draws);
        const aligner = new BarrierAligner(channels.length);
        const position = channels.map(() => 0);
        const processed = new Set<string>();
        const aligned: number[] = [];
        const aborted: number[] = [];
        let step = 0;
        const apply = (steps: ReturnType<BarrierAligner['onEnd']>): void => {
          for (const s of steps) {
            if (s.kind === 'aligned') {
              aligned.push(s.checkpointId);
              // The snapshot: every record before barrier n on each channel, nothing after it.
              const expected = new Set<string>();
              channels.forEach((items, channel) => {
                const at = items.findIndex((item) => 'barrier' in item && item.barrier === s.checkpointId);
                for (const item of at === -1 ? items : items.slice(0, at)) if ('record' in item) expected.add(item.record);
              });
              expect([...processed].sort()).toEqual([...expected].sort());
            } else if (s.kind === 'aborted') aborted.push(s.checkpointId);
          }
        };
        for (;;) {
          const readable = channels.map((_, c) => c).filter((c) => position[c]! <= channels[c]!.length && !aligner.isBlocked(c));
          if (readable.length === 0) break;
          const channel = readable[order[step++ % order.length]! % readable.length]!;
          const item = channels[channel]![position[channel]!++];
          if (item === undefined) apply(aligner.onEnd(channel));
          else if ('record' in item) processed.add(item.record);
          else apply(aligner.onBarrier(channel, item.barrier));
        }
        // No deadlock: everything was read, every channel ended.
        channels.forEach((items, c) => expect(position[c]).toBe(items.length + 1));
        expect(aligner.pendingCheckpoint).toBeUndefined();
        // Checkpoints settle in order, each once; one that every channel carried is aligned, not aborted.
        const settled = [...aligned, ...aborted].sort((a, b) => a - b);
        expect(new Set(settled).size).toBe(settled.length);
        expect(aligned).toEqual([...aligned].sort((a, b) => a - b));
        for (let id = 1; id <= 5; id++) {
          if (channels.every((items) => items.some((item) => 'barrier' in item && item.barrier === id))) expect(aligned).toContain(id);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('aborts an alignment that a newer barrier overtakes, and ignores the older barrier when it comes', () => {
    const aligner = new BarrierAligner(2);
    expect(aligner.onBarrier(0, 1)).toEqual([{ kind: 'block', channel: 0 }]);
    expect(aligner.isBlocked(0)).toBe(true);
    expect(aligner.onBarrier(1, 2)).toEqual([
      { kind: 'aborted', checkpointId: 1 },
      { kind: 'block', channel: 1 },
    ]);
    expect(aligner.isBlocked(0)).toBe(false);
    expect(aligner.onBarrier(0, 2)).toEqual([{ kind: 'aligned', checkpointId: 2 }]);
    expect(aligner.onBarrier(1, 1)).toEqual([]);
  });

  it('an ended channel releases the alignment waiting for it', () => {
    const aligner = new BarrierAligner(3);
    aligner.onBarrier(0, 7);
    aligner.onBarrier(2, 7);
    expect(aligner.onEnd(1)).toEqual([{ kind: 'aligned', checkpointId: 7 }]);
    expect(() => aligner.onBarrier(1, 8)).toThrow(/after its end/);
    expect(() => aligner.onBarrier(3, 8)).toThrow(RangeError);
  });
});

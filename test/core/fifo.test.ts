import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/core/fifo.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('Fifo', () => {
  it('returns items in push order under any interleaving of push and shift', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant<'shift'>('shift'), fc.integer({ min: 1, max: 3000 }))), (ops) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        let next = 0;
        for (const op of ops) {
          if (op === 'shift') {
            expect(fifo.shift()).toBe(model.shift());
          } else {
            for (let i = 0; i < op; i++) {
              fifo.push(next);
              model.push(next++);
            }
          }
          expect(fifo.size).toBe(model.length);
        }
        while (model.length > 0) expect(fifo.shift()).toBe(model.shift());
        expect(fifo.shift()).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });

  it('lets go of taken items while the queue never empties', async () => {
    const fifo = new Fifo<object>();
    const taken: WeakRef<object>[] = [];
    // A producer always two items ahead: the queue is never empty, so it cannot simply reset.
    fifo.push({});
    fifo.push({});
    for (let i = 0; i < 5000; i++) {
      fifo.push({});
      taken.push(new WeakRef(fifo.shift()!));
    }
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const alive = taken.filter((ref) => ref.deref() !== undefined).length;
    expect(alive).toBe(0);
    expect(fifo.size).toBe(2);
  });
});

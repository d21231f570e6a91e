import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { InternalTimerService, type Timer } from '../../src/state/timers.ts';
import { keyGroupFor } from '../../src/state/key-groups.ts';
import type { LmdbKeyedStateBackend } from '../../src/state/lmdb-backend.ts';
import { lmdbFixture } from './lmdb-fixture.ts';

const fixture = lmdbFixture();
afterEach(() => fixture.cleanup());

const EVENT_TABLE = '__timers/t/event';
const noClock = { now: () => 0, schedule: () => {} };

/** A timer service over a real LMDB backend that records what fired, in order. */
async function service(cacheEntries = 1000) {
  const backend = await fixture.backend({ cacheEntries });
  const fired: string[] = [];
  const timers = new InternalTimerService('t', backend, noClock, {
    onEventTime: (timer: Timer) => fired.push(`${String(backend.currentKey)}/${timer.namespace}@${timer.timestamp}`),
    onProcessingTime: () => {},
  });
  return { backend, timers, fired };
}

/** Every event-time timer row in LMDB (and staged), as key/namespace@timestamp. */
function storedRows(backend: LmdbKeyedStateBackend, keys: readonly string[]): string[] {
  const groups = new Set(keys.map((key) => keyGroupFor(key, backend.maxParallelism)));
  const rows: string[] = [];
  for (const group of groups) {
    for (const { parts } of backend.scanRaw(EVENT_TABLE, group)) rows.push(`${String(parts[1])}/${parts[2]}@${parts[0]}`);
  }
  return rows.sort();
}

describe('InternalTimerService', () => {
  it('fires each timer once, in timestamp order, when the watermark reaches it; deleted timers never fire', async () => {
    const { backend, timers, fired } = await service();
    backend.setCurrentKey('a');
    timers.registerEventTimeTimer(1, 30);
    timers.registerEventTimeTimer(1, 30);
    timers.registerEventTimeTimer(2, 10);
    backend.setCurrentKey('b');
    timers.registerEventTimeTimer(1, 20);
    timers.registerEventTimeTimer(1, 40);
    timers.deleteEventTimeTimer(1, 40);
    timers.advanceWatermark(19);
    expect(fired).toEqual(['a/2@10']);
    timers.advanceWatermark(1_000);
    expect(fired).toEqual(['a/2@10', 'b/1@20', 'a/1@30']);
  });

  it('after each flush LMDB holds exactly the live timers (random sets, deletes, watermarks, flushes; tiny and large cache)', async () => {
    const keys = ['k0', 'k1', 'k2', 'k3'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.constantFrom(...keys), ns: fc.nat(2), ts: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...keys), ns: fc.nat(2), ts: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('watermark' as const), ts: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('flush' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60, size: 'max' }), fc.constantFrom(3, 1000), async (ops, cacheEntries) => {
        const { backend, timers, fired } = await service(cacheEntries);
        const live = new Set<string>();
        let watermark = -1;
        for (const o of ops) {
          if (o.kind === 'flush') {
            backend.flush();
            expect(storedRows(backend, keys)).toEqual([...live].sort());
            continue;
          }
          if (o.kind === 'watermark') {
            watermark = Math.max(watermark, o.ts);
            const before = fired.length;
            timers.advanceWatermark(watermark);
            for (const timer of fired.slice(before)) {
              // Only a live timer at or behind the watermark may fire.
              expect(live.has(timer) && Number(timer.split('@')[1]) <= watermark).toBe(true);
              live.delete(timer);
            }
            expect([...live].filter((id) => Number(id.split('@')[1]) <= watermark)).toEqual([]);
            continue;
          }
          const id = `${o.key}/${o.ns}@${o.ts}`;
          backend.setCurrentKey(o.key);
          if (o.kind === 'set') {
            timers.registerEventTimeTimer(o.ns, o.ts);
            live.add(id);
          } else {
            timers.deleteEventTimeTimer(o.ns, o.ts);
            live.delete(id);
          }
          // A timer at or behind the watermark fires with the next watermark, as in Flink.
        }
        backend.flush();
        expect(storedRows(backend, keys)).toEqual([...live].sort());
        await fixture.cleanup();
      }),
      { numRuns: 60 },
    );
  });
});

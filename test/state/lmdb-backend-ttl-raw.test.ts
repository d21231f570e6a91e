import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor } from '../../src/state/descriptors.ts';
import { churn, lmdbFixture } from './lmdb-fixture.ts';

const fixture = lmdbFixture();
afterEach(() => fixture.cleanup());

describe('TTL (processing time, injected clock)', () => {
  it('an expired value is invisible, in the cache and after eviction', async () => {
    let now = 1_000;
    const b = await fixture.backend({ cacheEntries: 5, clock: () => now });
    const v = b.getState(new ValueStateDescriptor<string>('v', { ttl: { ttlMs: 100 } }));
    b.setCurrentKey('cached');
    v.update('c');
    b.setCurrentKey('evicted');
    v.update('e');
    churn(b, 10);
    now = 1_099;
    b.setCurrentKey('cached');
    expect(v.value()).toBe('c');
    b.setCurrentKey('evicted');
    expect(v.value()).toBe('e');
    // A plain read does not refresh (onCreateAndWrite is the default).
    now = 1_100;
    expect(v.value()).toBeUndefined();
    b.setCurrentKey('cached');
    expect(v.value()).toBeUndefined();
    // A write refreshes.
    v.update('again');
    now = 1_199;
    expect(v.value()).toBe('again');
    expect([...b.keys('v')]).toEqual(['cached']);
    now = 1_200;
    expect([...b.keys('v')]).toEqual([]);
  });

  it('onReadAndWrite refreshes the timestamp on read, and the refresh survives eviction', async () => {
    let now = 0;
    const b = await fixture.backend({ cacheEntries: 3, clock: () => now });
    const l = b.getState(new ListStateDescriptor<number>('l', { ttl: { ttlMs: 100, updateType: 'onReadAndWrite' } }));
    b.setCurrentKey('k');
    l.add(1);
    now = 80;
    expect(l.get()).toEqual([1]);
    churn(b, 10);
    now = 170;
    b.setCurrentKey('k');
    expect(l.get()).toEqual([1]);
    now = 270;
    b.setCurrentKey('k');
    expect(l.get()).toEqual([]);
  });

  it('TTL state keeps its timestamp across flush and reopen', async () => {
    let now = 0;
    const dir = fixture.tempDir();
    const ttl = { ttlMs: 50 };
    const b = await fixture.backend({ path: dir, clock: () => now });
    const m = b.getState(new MapStateDescriptor<string, number>('m', { ttl }));
    b.setCurrentKey(1);
    m.put('a', 1);
    b.flush();
    await b.close();
    const reopened = await fixture.backend({ path: dir, clock: () => now });
    const m2 = reopened.getState(new MapStateDescriptor<string, number>('m', { ttl }));
    now = 49;
    reopened.setCurrentKey(1);
    expect(m2.get('a')).toBe(1);
    now = 50;
    expect(m2.get('a')).toBeUndefined();
    expect(() => reopened.getState(new MapStateDescriptor<string, number>('m'))).toThrow(/TTL/);
  });
});

describe('raw tables', () => {
  it('scan is ordered by parts within one key group, staged and stored alike', async () => {
    const b = await fixture.backend({ cacheEntries: 100 });
    const put = (kg: number, parts: (string | number)[]) => b.putRaw('__timers', kg, parts, parts.join('/'));
    put(5, [300, 'b']);
    put(5, [20, 'z']);
    put(5, [20, 'a']);
    put(6, [1, 'other group']);
    put(5, ['s']);
    put(5, [20]);
    const expected = [[20], [20, 'a'], [20, 'z'], [300, 'b'], ['s']];
    expect([...b.scanRaw('__timers', 5)].map((e) => e.parts)).toEqual(expected);
    b.flush();
    expect([...b.scanRaw('__timers', 5)].map((e) => e.parts)).toEqual(expected);
    // Staged deletes and overwrites hide what LMDB holds.
    b.deleteRaw('__timers', 5, [20, 'a']);
    b.putRaw('__timers', 5, [300, 'b'], 'new');
    put(5, [25]);
    expect([...b.scanRaw('__timers', 5)]).toEqual([
      { parts: [20], value: '20' },
      { parts: [20, 'z'], value: '20/z' },
      { parts: [25], value: '25' },
      { parts: [300, 'b'], value: 'new' },
      { parts: ['s'], value: 's' },
    ]);
    expect([...b.scanRaw('__timers', 6)]).toEqual([{ parts: [1, 'other group'], value: '1/other group' }]);
    expect([...b.scanRaw('__other', 5)]).toEqual([]);
    expect(() => b.putRaw('timers', 5, [1], 1)).toThrow(/start with '__'/);
    expect(() => b.putRaw('__timers', 128, [1], 1)).toThrow(RangeError);
  });

  it('staged order matches LMDB order for any parts (property)', async () => {
    const part = fc.oneof(
      fc.integer({ min: -1000, max: 1000 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ unit: 'binary', maxLength: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(part, { minLength: 1, maxLength: 3 }), { maxLength: 30, size: 'max' }), async (keys) => {
        const b = await fixture.backend({ cacheEntries: 1000 });
        for (const parts of keys) b.putRaw('__t', 0, parts, 1);
        const staged = [...b.scanRaw('__t', 0)].map((e) => e.parts);
        b.flush();
        const stored = [...b.scanRaw('__t', 0)].map((e) => e.parts);
        expect(staged).toEqual(stored);
        await fixture.cleanup();
      }),
      { numRuns: 40 },
    );
  });

  it('staged raw writes count toward the cache bound', async () => {
    const dir = fixture.tempDir();
    const b = await fixture.backend({ path: dir, cacheEntries: 10 });
    for (let i = 0; i < 100; i++) b.putRaw('__timers', 0, [i], i);
    // No flush: close drops what is still staged, so what reopens is what cache pressure already wrote.
    await b.close();
    const reopened = await fixture.backend({ path: dir, cacheEntries: 10 });
    const spilled = [...reopened.scanRaw('__timers', 0)];
    expect(spilled.length).toBeGreaterThanOrEqual(90);
    expect(spilled.map((e) => e.value)).toEqual(Array.from({ length: spilled.length }, (_, i) => i));
  });
});

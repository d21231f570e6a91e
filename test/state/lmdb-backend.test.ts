import { afterEach, describe, expect, it } from 'vitest';
import { VOID_NAMESPACE } from '../../src/state/backend.ts';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../../src/state/descriptors.ts';
import { churn, lmdbFixture } from './lmdb-fixture.ts';

const fixture = lmdbFixture();
const backend = fixture.backend.bind(fixture);
afterEach(() => fixture.cleanup());

describe('LmdbKeyedStateBackend handles', () => {
  it('value state: absent, update, clear, update(undefined) clears', async () => {
    const b = await backend();
    const v = b.getState(new ValueStateDescriptor<{ n: number }>('v'));
    b.setCurrentKey('a');
    expect(v.value()).toBeUndefined();
    v.update({ n: 1 });
    expect(v.value()).toEqual({ n: 1 });
    b.setCurrentKey('b');
    expect(v.value()).toBeUndefined();
    b.setCurrentKey('a');
    v.clear();
    expect(v.value()).toBeUndefined();
    v.update({ n: 2 });
    v.update(undefined as unknown as { n: number });
    expect(v.value()).toBeUndefined();
    expect([...b.keys('v')]).toEqual([]);
  });

  it('list state: copies out, add/addAll/update, empty means absent', async () => {
    const b = await backend({ cacheEntries: 4 });
    const l = b.getState(new ListStateDescriptor<number>('l'));
    b.setCurrentKey(7);
    expect(l.get()).toEqual([]);
    l.add(1);
    l.addAll([2, 3]);
    const copy = l.get();
    copy.push(99);
    expect(l.get()).toEqual([1, 2, 3]);
    churn(b, 20);
    b.setCurrentKey(7);
    expect(l.get()).toEqual([1, 2, 3]);
    l.add(4);
    expect(l.get()).toEqual([1, 2, 3, 4]);
    l.update([9]);
    expect(l.get()).toEqual([9]);
    l.update([]);
    expect(l.get()).toEqual([]);
    expect([...b.keys('l')]).toEqual([]);
  });

  it('map state: all operations, user keys follow key rules, survives eviction', async () => {
    const b = await backend({ cacheEntries: 4 });
    const m = b.getState(new MapStateDescriptor<unknown, string>('m'));
    b.setCurrentKey('k');
    expect(m.isEmpty()).toBe(true);
    m.put('1', 'string one');
    m.put(1, 'number one');
    m.put(['1'], 'array one');
    m.put({ b: 2, a: 1 }, 'object');
    m.putAll([[2n, 'bigint'], [true, 'yes']]);
    expect(m.get({ a: 1, b: 2 })).toBe('object');
    churn(b, 20);
    b.setCurrentKey('k');
    expect(m.get('1')).toBe('string one');
    expect(m.get(1)).toBe('number one');
    expect(m.get(['1'])).toBe('array one');
    expect(m.get({ a: 1, b: 2 })).toBe('object');
    expect(m.get(2n)).toBe('bigint');
    expect(m.contains(true)).toBe(true);
    expect(m.contains(false)).toBe(false);
    expect(m.keys()).toHaveLength(6);
    expect(new Set(m.values())).toEqual(new Set(['string one', 'number one', 'array one', 'object', 'bigint', 'yes']));
    m.remove(1);
    expect(m.get(1)).toBeUndefined();
    expect(m.entries()).toContainEqual(['1', 'string one']);
    for (const key of m.keys()) m.remove(key);
    expect(m.isEmpty()).toBe(true);
    expect([...b.keys('m')]).toEqual([]);
    m.put('x', 'y');
    m.clear();
    expect(m.get('x')).toBeUndefined();
  });

  it('reducing and aggregating state', async () => {
    const b = await backend({ cacheEntries: 2 });
    const sum = b.getState(new ReducingStateDescriptor<number>('sum', (a, v) => a + v));
    const avg = b.getState(
      new AggregatingStateDescriptor<number, [number, number], number>('avg', {
        createAccumulator: () => [0, 0],
        add: (v, [s, n]) => [s + v, n + 1],
        getResult: ([s, n]) => s / n,
      }),
    );
    b.setCurrentKey('x');
    expect(sum.get()).toBeUndefined();
    expect(avg.get()).toBeUndefined();
    for (const v of [1, 2, 6]) {
      b.setCurrentKey('x');
      sum.add(v);
      avg.add(v);
      churn(b, 5, `c${v}`);
    }
    b.setCurrentKey('x');
    expect(sum.get()).toBe(9);
    expect(avg.get()).toBe(3);
    sum.clear();
    avg.clear();
    expect(sum.get()).toBeUndefined();
    expect(avg.get()).toBeUndefined();
  });

  it('caches handles per descriptor and rejects a name reused with another kind', async () => {
    const b = await backend();
    const d = new ValueStateDescriptor<number>('s');
    expect(b.getState(d)).toBe(b.getState(d));
    expect(() => b.getState(new ListStateDescriptor<number>('s'))).toThrow(/'s' is a value state, not a list state/);
    expect(() => b.getState(new ValueStateDescriptor<number>('s', { ttl: { ttlMs: 5 } }))).toThrow(/TTL/);
    expect(() => b.getState(new ValueStateDescriptor<number>('t'))).not.toThrow();
  });

  it('namespaces isolate state of one key', async () => {
    const b = await backend({ cacheEntries: 3 });
    const v = b.getState(new ValueStateDescriptor<string>('v'));
    b.setCurrentKey('k');
    const namespaces = [VOID_NAMESPACE, 'w1', 'w2', 5, '5', 0, -1.5];
    for (const ns of namespaces) {
      b.setCurrentNamespace(ns);
      v.update(`in ${typeof ns} ${ns}`);
    }
    churn(b, 10);
    b.setCurrentKey('k');
    for (const ns of [...namespaces].reverse()) {
      b.setCurrentNamespace(ns);
      expect(v.value()).toBe(`in ${typeof ns} ${ns}`);
    }
    b.setCurrentNamespace(-0);
    expect(v.value()).toBe('in number 0');
    expect(() => b.setCurrentNamespace(NaN)).toThrow(/finite/);
    b.setCurrentNamespace('w1');
    v.clear();
    b.setCurrentNamespace('w3');
    expect(v.value()).toBeUndefined();
    b.setCurrentNamespace(VOID_NAMESPACE);
    expect(v.value()).toBe('in string ');
    expect([...b.keys('v')]).toEqual(['k']);
  });
});

describe('LmdbKeyedStateBackend keys and storage', () => {
  const distinctKeys: unknown[] = [
    '1', 1, ['1'], [1], 1n, '1n', true, 'true', '\u0001s1', '\u0001c["1"]', { a: '1' }, [1n], ['1n'],
    NaN, Infinity, -Infinity, 'NaN', 0, '', 'a\u0000b', '😀', 2 ** 60, -1.5,
  ];

  it('keys of different types never collide, in cache or in LMDB, and come back as they were', async () => {
    for (const cacheEntries of [1000, 2]) {
      const b = await backend({ cacheEntries });
      const v = b.getState(new ValueStateDescriptor<number>('v'));
      distinctKeys.forEach((key, i) => {
        b.setCurrentKey(key);
        v.update(i);
      });
      distinctKeys.forEach((key, i) => {
        b.setCurrentKey(key);
        expect(v.value(), `key ${String(key)}`).toBe(i);
      });
      const keys = [...b.keys()];
      expect(keys).toHaveLength(distinctKeys.length);
      for (const key of distinctKeys) expect(keys).toContainEqual(key);
    }
  });

  it('-0 and 0 are one key, as in a Map', async () => {
    const b = await backend({ cacheEntries: 1 });
    const v = b.getState(new ValueStateDescriptor<string>('v'));
    b.setCurrentKey(-0);
    v.update('zero');
    churn(b, 3);
    b.setCurrentKey(0);
    expect(v.value()).toBe('zero');
  });

  it('values survive eviction with a tiny cache and the cache stays bounded', async () => {
    const b = await backend({ cacheEntries: 10 });
    const v = b.getState(new ValueStateDescriptor<number>('v'));
    for (let i = 0; i < 1000; i++) {
      b.setCurrentKey(i);
      v.update(i * 2);
      expect(b.cachedEntries).toBeLessThanOrEqual(10);
    }
    for (let i = 999; i >= 0; i--) {
      b.setCurrentKey(i);
      expect(v.value()).toBe(i * 2);
    }
    expect(new Set(b.keys('v'))).toEqual(new Set(Array.from({ length: 1000 }, (_, i) => i)));
  });

  it('values survive close and reopen after flush; the stored kind is checked', async () => {
    const dir = fixture.tempDir();
    const b1 = await backend({ path: dir, cacheEntries: 50 });
    const v = b1.getState(new ValueStateDescriptor<number>('v'));
    const m = b1.getState(new MapStateDescriptor<string, number>('m'));
    for (let i = 0; i < 200; i++) {
      b1.setCurrentKey(`k${i}`);
      v.update(i);
      m.put('x', i);
    }
    b1.putRaw('__timers', 3, [10, 'a'], 'raw');
    b1.flush();
    await b1.close();
    const b2 = await backend({ path: dir });
    expect(() => b2.getState(new ListStateDescriptor<number>('v'))).toThrow(/stored as a value state/);
    const v2 = b2.getState(new ValueStateDescriptor<number>('v'));
    const m2 = b2.getState(new MapStateDescriptor<string, number>('m'));
    for (let i = 0; i < 200; i++) {
      b2.setCurrentKey(`k${i}`);
      expect(v2.value()).toBe(i);
      expect(m2.get('x')).toBe(i);
    }
    expect([...b2.keys()]).toHaveLength(200);
    expect([...b2.scanRaw('__timers', 3)]).toEqual([{ parts: [10, 'a'], value: 'raw' }]);
  });

  it('refuses a second open of one environment and bad options; stores any value msgpack can', async () => {
    const dir = fixture.tempDir();
    const b = await backend({ path: dir, cacheEntries: 2 });
    await expect(backend({ path: dir })).rejects.toThrow(/already open/);
    await expect(backend({ cacheEntries: 0 })).rejects.toThrow(RangeError);
    await expect(backend({ maxParallelism: 0 })).rejects.toThrow(RangeError);
    const v = b.getState(new ValueStateDescriptor<unknown>('v'));
    const value = { big: 2n ** 70n, small: -3n, map: new Map([[1, 'a']]), nested: [null, { x: 1.5 }], date: new Date(0) };
    b.setCurrentKey('k');
    v.update(value);
    churn(b, 5);
    b.setCurrentKey('k');
    expect(v.value()).toEqual(value);
  });

  it('clearing an evicted value removes it from LMDB', async () => {
    const dir = fixture.tempDir();
    const b = await backend({ path: dir, cacheEntries: 5 });
    const v = b.getState(new ValueStateDescriptor<string>('v'));
    b.setCurrentKey('gone');
    v.update('here');
    b.setCurrentKey('kept');
    v.update('here');
    churn(b, 20);
    b.setCurrentKey('gone');
    v.clear();
    churn(b, 20, 'again');
    b.setCurrentKey('gone');
    expect(v.value()).toBeUndefined();
    expect([...b.keys('v')]).toEqual(['kept']);
    b.flush();
    await b.close();
    const reopened = await backend({ path: dir });
    const v2 = reopened.getState(new ValueStateDescriptor<string>('v'));
    reopened.setCurrentKey('gone');
    expect(v2.value()).toBeUndefined();
    expect([...reopened.keys('v')]).toEqual(['kept']);
  });

  it('clearing a value that a flush wrote, while it is still cached, removes it from LMDB', async () => {
    const dir = fixture.tempDir();
    const b = await backend({ path: dir, cacheEntries: 100 });
    const v = b.getState(new ValueStateDescriptor<string>('v'));
    b.setCurrentKey('flushed');
    v.update('here');
    b.setCurrentKey('never-flushed');
    v.update('here');
    b.flush();
    b.setCurrentKey('flushed');
    v.clear();
    b.setCurrentKey('never-flushed');
    v.update('again');
    v.clear();
    b.flush();
    await b.close();
    const reopened = await backend({ path: dir });
    const v2 = reopened.getState(new ValueStateDescriptor<string>('v'));
    reopened.setCurrentKey('flushed');
    expect(v2.value()).toBeUndefined();
    reopened.setCurrentKey('never-flushed');
    expect(v2.value()).toBeUndefined();
    expect([...reopened.keys('v')]).toEqual([]);
  });

  it('keys() merges cache and LMDB, respects tombstones and filters by state', async () => {
    const b = await backend({ cacheEntries: 10 });
    const a = b.getState(new ValueStateDescriptor<number>('a'));
    const l = b.getState(new ListStateDescriptor<number>('l'));
    for (let i = 0; i < 100; i++) {
      b.setCurrentKey(i);
      a.update(i);
      if (i % 2 === 0) {
        b.setCurrentNamespace('w');
        l.add(i);
        b.setCurrentNamespace(VOID_NAMESPACE);
      }
    }
    for (let i = 0; i < 100; i += 3) {
      b.setCurrentKey(i);
      a.clear();
    }
    const expectedA = Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 !== 0);
    const expectedAll = Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 !== 0 || i % 2 === 0);
    const all = [...b.keys()];
    expect(all).toHaveLength(expectedAll.length);
    expect(new Set(all)).toEqual(new Set(expectedAll));
    expect(new Set(b.keys('a'))).toEqual(new Set(expectedA));
    expect([...b.keys('l')]).toHaveLength(50);
    expect([...b.keys('nope')]).toEqual([]);
    // Clearing while iterating is allowed.
    for (const key of b.keys('a')) {
      b.setCurrentKey(key);
      a.clear();
    }
    expect([...b.keys('a')]).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { CacheEntry, StateCache, StateTable } from '../../src/state/state-cache.ts';

const identity = { encode: (value: unknown) => value, decode: (stored: unknown) => stored };

/** A cache of `capacity` over one table whose spills are recorded (names of the victims, in order). */
function cacheOf(capacity: number): { cache: StateCache; table: StateTable; spills: string[][] } {
  const spills: string[][] = [];
  const cache = new StateCache(capacity, { backlog: () => 0, spill: (victims) => void spills.push(victims.map((entry) => String(entry.ck))), evicted: () => {} });
  return { cache, table: new StateTable('s', 'value', undefined, identity), spills };
}

function add(cache: StateCache, table: StateTable, key: string, ns: number | string = 'ns'): CacheEntry {
  cache.reserve();
  const entry = new CacheEntry(table, ns, key, 0, `value of ${key}`, 0);
  cache.insert(entry);
  return entry;
}

const keysOf = (cache: StateCache): string[] => [...cache.entries()].map((entry) => String(entry.ck));

describe('the state cache clock', () => {
  it('evicts a chunk in insertion order, giving entries hit since the hand passed a second chance at the back', () => {
    const { cache, table, spills } = cacheOf(20); // chunk of 2
    const entries = Array.from({ length: 20 }, (_, i) => add(cache, table, `k${i}`));
    entries[0]!.ref = true;
    entries[1]!.ref = true;
    add(cache, table, 'k20');
    expect(spills).toEqual([['k2', 'k3']]);
    expect(keysOf(cache)).toEqual([...Array.from({ length: 16 }, (_, i) => `k${i + 4}`), 'k0', 'k1', 'k20']);
    expect(entries[0]!.ref).toBe(false);
    expect(table.find('ns')?.has('k2')).toBe(false);
    expect(table.find('ns')?.get('k0')).toBe(entries[0]);
  });

  it('comes back to an entry it moved when every entry was hit, the last one included', () => {
    const { cache, table, spills } = cacheOf(10); // chunk of 1
    const entries = Array.from({ length: 10 }, (_, i) => add(cache, table, `k${i}`));
    for (const entry of entries) entry.ref = true;
    add(cache, table, 'k10');
    expect(spills).toEqual([['k0']]);
    expect(keysOf(cache)).toEqual([...Array.from({ length: 9 }, (_, i) => `k${i + 1}`), 'k10']);
    expect(cache.size).toBe(10);

    const { cache: one, table: oneTable, spills: oneSpills } = cacheOf(1);
    add(one, oneTable, 'a').ref = true;
    add(one, oneTable, 'b');
    expect(oneSpills).toEqual([['a']]);
    expect(keysOf(one)).toEqual(['b']);
  });

  it('removes an entry once: a removed or evicted entry is left alone, its table keeps what is cached', () => {
    const { cache, table } = cacheOf(100);
    const [a, b, c] = ['a', 'b', 'c'].map((key, i) => add(cache, table, key, i));
    cache.remove(b!);
    cache.remove(b!);
    expect(keysOf(cache)).toEqual(['a', 'c']);
    expect(cache.size).toBe(2);
    expect(table.find(1)).toBeUndefined();
    cache.remove(a!);
    cache.remove(c!);
    expect(keysOf(cache)).toEqual([]);
    expect(cache.size).toBe(0);
    const d = add(cache, table, 'd');
    expect(keysOf(cache)).toEqual(['d']);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(keysOf(cache)).toEqual([]);
    expect(table.find('ns')).toBeUndefined();
    cache.remove(d);
    expect(cache.size).toBe(0);
  });

  it('lists the dirty entries, oldest first', () => {
    const { cache, table } = cacheOf(100);
    const entries = ['a', 'b', 'c', 'd'].map((key) => add(cache, table, key));
    entries[3]!.markChanged();
    entries[1]!.markChanged();
    expect([...cache.dirtyEntries()].map((entry) => entry.ck)).toEqual(['b', 'd']);
  });
});

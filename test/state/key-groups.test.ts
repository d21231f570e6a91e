import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_MAX_PARALLELISM,
  hashKey,
  keyGroupFor,
  subtaskForKeyGroup,
} from '../../src/state/key-groups.ts';

describe('hashKey', () => {
  // Savepoints store keyed state by key group, and key group = hashKey(key) % maxParallelism. These values were
  // computed once with the current hash; if any of them changes, existing savepoints restore state into the wrong
  // key groups. Do not update them to make the test pass: a hash change needs a savepoint migration.
  const pinned: [unknown, number][] = [
    ['', 0xebb6c228],
    ['a', 0x11caa9f5],
    ['user-42', 0xfd9e4edc],
    ['héllo wörld ✓', 0x0a82687c],
    [0, 0x9e481848],
    [1, 0x3f1941e4],
    [-1, 0x2c8c5b87],
    [42, 0x398e3db8],
    [2147483647, 0xebdf7d39],
    [-2147483648, 0xa44d4f92],
    [2147483648, 0x02f96dc8],
    [1.5, 0x09acfbea],
    [-0.25, 0x15fab288],
    [1e21, 0x2089aeba],
    [true, 0x4f1bbcdd],
    [false, 0x2f0e1eb9],
    [10n, 0x99f770ba],
    [['a', 1], 0xd8600876],
    [{ b: 2, a: 1 }, 0x23a98269],
    [[[1, 2], { x: 'y' }], 0xc9567964],
  ];

  it.each(pinned.map(([key, hash]) => [describeKey(key), key, hash] as const))(
    'hashes %s to its pinned value',
    (_label, key, hash) => {
      expect(hashKey(key)).toBe(hash);
    },
  );

  it('returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.array(fc.string())), (key) => {
        const hash = hashKey(key);
        expect(Number.isInteger(hash)).toBe(true);
        expect(hash).toBeGreaterThanOrEqual(0);
        expect(hash).toBeLessThan(2 ** 32);
      }),
    );
  });

  it('hashes equal composite keys equally, whatever the order of object fields', () => {
    expect(hashKey(['a', 1, { x: 1, y: 2 }])).toBe(hashKey(['a', 1, { y: 2, x: 1 }]));
    expect(hashKey({ b: { d: 1, c: 2 }, a: [1, 2] })).toBe(hashKey({ a: [1, 2], b: { c: 2, d: 1 } }));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(hashKey(reversed)).toBe(hashKey(dict));
        expect(hashKey([reversed, 'x'])).toBe(hashKey([dict, 'x']));
      }),
    );
  });

  it('tells apart keys that only look alike', () => {
    expect(hashKey(['a', 1])).not.toBe(hashKey(['a', '1']));
    expect(hashKey([1, 2])).not.toBe(hashKey([2, 1]));
    expect(hashKey('1')).not.toBe(hashKey(1));
    expect(hashKey(1)).not.toBe(hashKey(1.5));
    expect(hashKey({ a: 1 })).not.toBe(hashKey({ a: 2 }));
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a function', () => 1],
    ['a symbol', Symbol('k')],
  ])('throws a TypeError for %s', (_label, key) => {
    expect(() => hashKey(key)).toThrow(TypeError);
  });

  // Only plain objects are supported, but Map and Set serialise to "{}", so every Map (or Set) key lands in one key
  // group and, in the heap backend, shares one state entry. They should be rejected like other unsupported keys.
  it.each([
    ['a Map', new Map([['a', 1]])],
    ['a Set', new Set(['a'])],
  ])('throws a TypeError for %s rather than hashing all of them alike', (_label, key) => {
    expect(() => hashKey(key)).toThrow(TypeError);
  });
});

describe('keyGroupFor', () => {
  it('is within [0, maxParallelism) and the same for equal keys', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.array(fc.integer())),
        fc.integer({ min: 1, max: 32768 }),
        (key, maxParallelism) => {
          const group = keyGroupFor(key, maxParallelism);
          expect(Number.isInteger(group)).toBe(true);
          expect(group).toBeGreaterThanOrEqual(0);
          expect(group).toBeLessThan(maxParallelism);
          expect(keyGroupFor(structuredClone(key), maxParallelism)).toBe(group);
        },
      ),
    );
  });

  const KEYS = 20_000;
  const limit = (3 * KEYS) / DEFAULT_MAX_PARALLELISM;

  function groupCounts(keys: readonly unknown[]): number[] {
    const counts = new Array<number>(DEFAULT_MAX_PARALLELISM).fill(0);
    for (const key of keys) counts[keyGroupFor(key, DEFAULT_MAX_PARALLELISM)]!++;
    return counts;
  }

  it('spreads random string keys evenly: no key group above 3x the mean', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 24 }), { minLength: KEYS, maxLength: KEYS }), (keys) => {
        const counts = groupCounts(keys);
        expect(Math.max(...counts)).toBeLessThanOrEqual(limit);
        expect(Math.min(...counts)).toBeGreaterThan(0);
      }),
      { numRuns: 5 },
    );
  });

  it('spreads sequential ids (prefix + counter, plain integers) evenly', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.nat(1_000_000), (prefix, start) => {
        const strings = Array.from({ length: KEYS }, (_, i) => `${prefix}${start + i}`);
        const ints = Array.from({ length: KEYS }, (_, i) => start + i);
        for (const counts of [groupCounts(strings), groupCounts(ints)]) {
          expect(Math.max(...counts)).toBeLessThanOrEqual(limit);
          expect(Math.min(...counts)).toBeGreaterThan(0);
        }
      }),
      { numRuns: 10 },
    );
  });
});

describe('subtaskForKeyGroup', () => {
  it.each([
    [128, 1],
    [128, 2],
    [128, 3],
    [128, 7],
    [128, 128],
    [10, 3],
    [1, 1],
    [32768, 5],
  ])('with max parallelism %i and parallelism %i gives contiguous, balanced ranges covering every subtask', (maxParallelism, parallelism) => {
    const owners = Array.from({ length: maxParallelism }, (_, group) => subtaskForKeyGroup(group, maxParallelism, parallelism));
    expect(owners[0]).toBe(0);
    expect(owners[owners.length - 1]).toBe(parallelism - 1);
    for (let group = 1; group < owners.length; group++) {
      const step = owners[group]! - owners[group - 1]!;
      expect(step === 0 || step === 1).toBe(true);
    }
    const sizes = new Array<number>(parallelism).fill(0);
    for (const owner of owners) sizes[owner]!++;
    expect(sizes.every((size) => size >= Math.floor(maxParallelism / parallelism))).toBe(true);
    expect(sizes.every((size) => size <= Math.ceil(maxParallelism / parallelism))).toBe(true);
  });
});

function describeKey(key: unknown): string {
  if (typeof key === 'bigint') return `${key}n`;
  return typeof key === 'string' ? `string ${JSON.stringify(key)}` : `${typeof key} ${JSON.stringify(key)}`;
}

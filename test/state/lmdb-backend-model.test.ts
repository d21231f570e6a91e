import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../../src/state/descriptors.ts';
import type { LmdbKeyedStateBackend } from '../../src/state/lmdb-backend.ts';
import { lmdbFixture } from './lmdb-fixture.ts';

const fixture = lmdbFixture();
afterEach(() => fixture.cleanup());

/** Keys that look alike but must stay apart; the model identifies them by index. */
const KEYS: unknown[] = ['1', 1, ['1'], 'a', 2n, { x: 1 }, true, 0, '\u0001c["1"]'];
const NAMESPACES: (string | number)[] = ['', 'w1', 5, '5', 0];
const USER_KEYS: unknown[] = ['k', 1, '1', ['k']];
/** Raw parts in LMDB order (numbers first, a prefix before its extensions), so the model needs no comparator. */
const RAW_PARTS: (string | number)[][] = [[-5], [1], [1, 'a'], [1, 'b'], [2.5], ['a'], ['a', 1], ['b']];

type Command =
  | { op: 'key'; k: number }
  | { op: 'ns'; ns: number }
  | { op: 'vset'; v: number }
  | { op: 'vclear' | 'vget' | 'lget' | 'lclear' | 'mentries' | 'rget' | 'flush' | 'keys' | 'reopen' | 'scan' }
  | { op: 'ladd'; v: number }
  | { op: 'mput'; uk: number; v: number }
  | { op: 'mremove' | 'mget'; uk: number }
  | { op: 'radd'; v: number }
  | { op: 'rawput'; p: number; v: number }
  | { op: 'rawdel'; p: number };

const small = fc.integer({ min: -50, max: 50 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('key' as const), k: fc.nat(KEYS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('ns' as const), ns: fc.nat(NAMESPACES.length - 1) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('vset' as const), v: small }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('ladd' as const), v: small }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('mput' as const), uk: fc.nat(USER_KEYS.length - 1), v: small }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('mremove' as const, 'mget' as const), uk: fc.nat(USER_KEYS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('radd' as const), v: small }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rawput' as const), p: fc.nat(RAW_PARTS.length - 1), v: small }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rawdel' as const), p: fc.nat(RAW_PARTS.length - 1) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constantFrom(...(['vclear', 'vget', 'lget', 'lclear', 'mentries', 'rget', 'scan'] as const)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('flush' as const, 'keys' as const, 'reopen' as const) }) },
);

function handles(b: LmdbKeyedStateBackend) {
  return {
    value: b.getState(new ValueStateDescriptor<number>('value')),
    list: b.getState(new ListStateDescriptor<number>('list')),
    map: b.getState(new MapStateDescriptor<unknown, number>('map')),
    sum: b.getState(new ReducingStateDescriptor<number>('sum', (a, v) => a + v)),
  };
}

async function run(commands: Command[], cacheEntries: number): Promise<void> {
  const dir = fixture.tempDir();
  let b = await fixture.backend({ path: dir, cacheEntries, maxParallelism: 16 });
  let h = handles(b);
  let k = 0;
  let ns = 0;
  b.setCurrentKey(KEYS[0]);
  // Model: one plain Map per state, keyed by "keyIndex/namespaceIndex".
  const values = new Map<string, number>();
  const lists = new Map<string, number[]>();
  const maps = new Map<string, Map<number, number>>();
  const sums = new Map<string, number>();
  const raw = new Map<number, number>();
  const at = () => `${k}/${ns}`;

  for (const c of commands) {
    switch (c.op) {
      case 'key':
        k = c.k;
        b.setCurrentKey(KEYS[k]);
        break;
      case 'ns':
        ns = c.ns;
        b.setCurrentNamespace(NAMESPACES[ns]!);
        break;
      case 'vset':
        h.value.update(c.v);
        values.set(at(), c.v);
        break;
      case 'vclear':
        h.value.clear();
        values.delete(at());
        break;
      case 'vget':
        expect(h.value.value()).toBe(values.get(at()));
        break;
      case 'ladd':
        h.list.add(c.v);
        lists.set(at(), [...(lists.get(at()) ?? []), c.v]);
        break;
      case 'lget':
        expect(h.list.get()).toEqual(lists.get(at()) ?? []);
        break;
      case 'lclear':
        h.list.clear();
        lists.delete(at());
        break;
      case 'mput': {
        h.map.put(USER_KEYS[c.uk], c.v);
        const m = maps.get(at()) ?? new Map<number, number>();
        maps.set(at(), m.set(c.uk, c.v));
        break;
      }
      case 'mremove': {
        h.map.remove(USER_KEYS[c.uk]);
        const m = maps.get(at());
        m?.delete(c.uk);
        if (m?.size === 0) maps.delete(at());
        break;
      }
      case 'mget':
        expect(h.map.get(USER_KEYS[c.uk])).toBe(maps.get(at())?.get(c.uk));
        expect(h.map.contains(USER_KEYS[c.uk])).toBe(maps.get(at())?.has(c.uk) ?? false);
        break;
      case 'mentries': {
        const expected = [...(maps.get(at()) ?? [])].map(([uk, v]) => [USER_KEYS[uk], v]);
        expect(new Set(h.map.entries().map((e) => JSON.stringify(e)))).toEqual(new Set(expected.map((e) => JSON.stringify(e))));
        break;
      }
      case 'radd':
        h.sum.add(c.v);
        sums.set(at(), (sums.get(at()) ?? 0) + c.v);
        break;
      case 'rget':
        expect(h.sum.get()).toBe(sums.get(at()));
        break;
      case 'rawput':
        b.putRaw('__t', 3, RAW_PARTS[c.p]!, c.v);
        raw.set(c.p, c.v);
        break;
      case 'rawdel':
        b.deleteRaw('__t', 3, RAW_PARTS[c.p]!);
        raw.delete(c.p);
        break;
      case 'scan': {
        const expected = RAW_PARTS.flatMap((parts, p) => (raw.has(p) ? [{ parts, value: raw.get(p) }] : []));
        expect([...b.scanRaw('__t', 3)]).toEqual(expected);
        break;
      }
      case 'flush':
        b.flush();
        break;
      case 'keys': {
        const withState = new Set<number>();
        for (const model of [values, lists, maps, sums]) for (const id of model.keys()) withState.add(Number(id.split('/')[0]));
        const keys = [...b.keys()];
        expect(keys).toHaveLength(withState.size);
        expect(new Set(keys.map((key) => KEYS.findIndex((candidate) => sameKey(candidate, key))))).toEqual(withState);
        break;
      }
      case 'reopen':
        b.flush();
        await b.close();
        b = await fixture.backend({ path: dir, cacheEntries, maxParallelism: 16 });
        h = handles(b);
        b.setCurrentKey(KEYS[k]);
        b.setCurrentNamespace(NAMESPACES[ns]!);
        break;
    }
    expect(b.cachedEntries).toBeLessThanOrEqual(cacheEntries);
  }
}

function sameKey(a: unknown, b: unknown): boolean {
  const json = (x: unknown) => JSON.stringify(x, (_n, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return typeof a === typeof b && json(a) === json(b);
}

describe('LmdbKeyedStateBackend against a Map model', () => {
  it('agrees on every read for random operations with a tiny cache', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 200, size: 'max' }), fc.constantFrom(1, 3, 8), async (commands, cache) => {
        try {
          await run(commands, cache);
        } finally {
          await fixture.cleanup();
        }
      }),
      { numRuns: 120 },
    );
  });
});

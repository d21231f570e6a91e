import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { restoreKeyedSnapshot, writeKeyedSnapshot, type KeyedSnapshot } from '../../src/checkpoint/keyed-snapshot.ts';
import { LocalCheckpointStorage } from '../../src/checkpoint/local-storage.ts';
import type { StoredFile } from '../../src/checkpoint/storage.ts';
import { ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor } from '../../src/state/descriptors.ts';
import type { LmdbKeyedStateBackend } from '../../src/state/lmdb-backend.ts';
import { lmdbFixture } from '../state/lmdb-fixture.ts';

const fixture = lmdbFixture();
const roots: string[] = [];
afterEach(async () => {
  await fixture.cleanup();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** More keys than the cache holds, so values move between the cache and LMDB all the time. */
const KEY_COUNT = 40;
const CACHE_ENTRIES = 16;
const value = new ValueStateDescriptor<number>('value');
const list = new ListStateDescriptor<number>('list');
const map = new MapStateDescriptor<number, number>('map');

type Op =
  | { readonly op: 'set' | 'add' | 'put'; readonly key: number; readonly v: number }
  | { readonly op: 'clear-value' | 'clear-list' | 'remove'; readonly key: number }
  | { readonly op: 'keys' };

/** One checkpoint: operations before its barrier, the snapshot, then operations while its file is being written. */
interface Step {
  readonly before: readonly Op[];
  readonly incremental: boolean;
  readonly during: readonly Op[];
}

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('set' as const, 'add' as const, 'put' as const), key: fc.nat(KEY_COUNT - 1), v: fc.integer({ min: -9, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('clear-value' as const, 'clear-list' as const, 'remove' as const), key: fc.nat(KEY_COUNT - 1) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'keys' as const }) },
);
const step: fc.Arbitrary<Step> = fc.record({
  before: fc.array(op, { maxLength: 60 }),
  incremental: fc.boolean(),
  during: fc.array(op, { maxLength: 20 }),
});

/** What the backend should hold: key -> [value, list, map entries], absent parts left out. */
type Model = Map<number, { value?: number; list?: number[]; map?: Map<number, number> }>;

function apply(b: LmdbKeyedStateBackend, model: Model, o: Op): void {
  if (o.op === 'keys') {
    // Scanning keys writes the dirty cache to LMDB: a path a snapshot must see through as well.
    [...b.keys()];
    return;
  }
  b.setCurrentKey(o.key);
  const row = model.get(o.key) ?? {};
  model.set(o.key, row);
  switch (o.op) {
    case 'set':
      b.getState(value).update(o.v);
      row.value = o.v;
      return;
    case 'add':
      // ListState.add appends to the cached array in place: the snapshot must not see appends after its barrier.
      b.getState(list).add(o.v);
      row.list = [...(row.list ?? []), o.v];
      return;
    case 'put':
      b.getState(map).put(o.v, o.key);
      row.map = new Map(row.map ?? []).set(o.v, o.key);
      return;
    case 'clear-value':
      b.getState(value).clear();
      delete row.value;
      return;
    case 'clear-list':
      b.getState(list).clear();
      delete row.list;
      return;
    case 'remove': {
      b.getState(map).remove(3);
      const next = new Map(row.map ?? []);
      next.delete(3);
      if (next.size === 0) delete row.map;
      else row.map = next;
      return;
    }
  }
}

function copy(model: Model): Model {
  return new Map([...model].map(([key, row]) => [key, { ...row, ...(row.list ? { list: [...row.list] } : {}), ...(row.map ? { map: new Map(row.map) } : {}) }]));
}

function contents(b: LmdbKeyedStateBackend): Model {
  const out: Model = new Map();
  for (let key = 0; key < KEY_COUNT; key++) {
    b.setCurrentKey(key);
    const row: { value?: number; list?: number[]; map?: Map<number, number> } = {};
    const v = b.getState(value).value();
    if (v !== undefined) row.value = v;
    const l = b.getState(list).get();
    if (l.length > 0) row.list = l;
    const m = b.getState(map).entries();
    if (m.length > 0) row.map = new Map(m);
    out.set(key, row);
  }
  return out;
}

function normalised(model: Model): Model {
  const out: Model = new Map();
  for (let key = 0; key < KEY_COUNT; key++) out.set(key, model.get(key) ?? {});
  return out;
}

describe('keyed snapshots against a model', () => {
  it('each checkpoint restores exactly the state at its barrier, whatever ran while its file was written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        const root = mkdtempSync(join(tmpdir(), 'weir-snapshot-model-'));
        roots.push(root);
        const storage = new LocalCheckpointStorage(root, 'job');
        const source = await fixture.backend({ cacheEntries: CACHE_ENTRIES });
        const model: Model = new Map();
        let chain: { checkpointId: number; file: StoredFile }[] = [];
        for (const [index, { before, incremental, during }] of steps.entries()) {
          const checkpointId = index + 1;
          for (const o of before) apply(source, model, o);
          const atBarrier = copy(model);
          const written: Promise<KeyedSnapshot> = writeKeyedSnapshot(source, storage, checkpointId, 'op-0', incremental);
          for (const o of during) apply(source, model, o);
          const { file, full } = await written;
          if (!incremental) expect(full).toBe(true);
          chain = full ? [{ checkpointId, file }] : [...chain, { checkpointId, file }];
          const restored = await fixture.backend({ cacheEntries: CACHE_ENTRIES });
          await restoreKeyedSnapshot(restored, storage, chain, { start: 0, end: 128 });
          expect(contents(restored)).toEqual(normalised(atBarrier));
          await restored.close();
        }
        expect(contents(source)).toEqual(normalised(model));
      }),
      { numRuns: 60 },
    );
  });
});

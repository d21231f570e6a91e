import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { restoreKeyedSnapshot, writeKeyedSnapshot } from '../../src/checkpoint/keyed-snapshot.ts';
import { LocalCheckpointStorage } from '../../src/checkpoint/local-storage.ts';
import { CorruptCheckpointError } from '../../src/checkpoint/storage.ts';
import { ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor } from '../../src/state/descriptors.ts';
import { keyGroupFor } from '../../src/state/key-groups.ts';
import type { LmdbKeyedStateBackend } from '../../src/state/lmdb-backend.ts';
import { InternalTimerService } from '../../src/state/timers.ts';
import { lmdbFixture } from '../state/lmdb-fixture.ts';

const fixture = lmdbFixture();
const roots: string[] = [];
afterEach(async () => {
  await fixture.cleanup();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function storage(): LocalCheckpointStorage {
  const root = mkdtempSync(join(tmpdir(), 'weir-snapshot-'));
  roots.push(root);
  return new LocalCheckpointStorage(root, 'job');
}

const count = new ValueStateDescriptor<number>('count');
const seen = new ListStateDescriptor<string>('seen');
const byWindow = new MapStateDescriptor<number, bigint>('by-window');
const noClock = { now: () => 0, schedule: () => {} };
const KEYS = Array.from({ length: 3_000 }, (_, i) => (i % 3 === 0 ? `user-${i}` : i));

/** Value, list, map state (in two namespaces) and a timer for every key, through a cache far smaller than the state. */
async function populated(): Promise<LmdbKeyedStateBackend> {
  const b = await fixture.backend({ cacheEntries: 500 });
  const timers = new InternalTimerService('op', b, noClock, { onEventTime: () => {}, onProcessingTime: () => {} });
  for (const key of KEYS) {
    b.setCurrentKey(key);
    b.getState(count).update(typeof key === 'number' ? key : key.length);
    b.getState(seen).update([String(key), 'x']);
    b.setCurrentNamespace(10);
    b.getState(byWindow).put(1, 2n ** 70n);
    b.setCurrentNamespace('');
    timers.registerEventTimeTimer(10, 1_000 + (typeof key === 'number' ? key : 0));
  }
  return b;
}

/** Everything a backend holds for `keys`: values of every state and the timer rows of their key groups. */
function contents(b: LmdbKeyedStateBackend, keys: readonly (string | number)[]): unknown[] {
  const out: unknown[] = [];
  for (const key of keys) {
    b.setCurrentKey(key);
    b.setCurrentNamespace('');
    const row: unknown[] = [key, b.getState(count).value(), b.getState(seen).get()];
    b.setCurrentNamespace(10);
    row.push(b.getState(byWindow).get(1));
    b.setCurrentNamespace('');
    out.push(row);
  }
  const groups = [...new Set(keys.map((key) => keyGroupFor(key, 128)))].sort((a, b) => a - b);
  for (const group of groups) out.push([...b.scanRaw('__timers/op/event', group)]);
  return out;
}

describe('keyed snapshots', () => {
  it('restore every state, namespace and timer of a subtask', async () => {
    const s = storage();
    const source = await populated();
    const { file } = await writeKeyedSnapshot(source, s, 1, 'op-0');
    const restored = await fixture.backend();
    await restoreKeyedSnapshot(restored, s, [{ checkpointId: 1, file }], { start: 0, end: 128 });
    expect(contents(restored, KEYS)).toEqual(contents(source, KEYS));
    expect(new Set([...restored.keys()])).toEqual(new Set(KEYS));
  });

  it('split by key group: each new subtask gets exactly the keys of its range', async () => {
    const s = storage();
    const { file } = await writeKeyedSnapshot(await populated(), s, 1, 'op-0');
    const ranges = [
      { start: 0, end: 43 },
      { start: 43, end: 86 },
      { start: 86, end: 128 },
    ];
    const all: unknown[] = [];
    for (const range of ranges) {
      const part = await fixture.backend();
      await restoreKeyedSnapshot(part, s, [{ checkpointId: 1, file }], range);
      const mine = KEYS.filter((key) => {
        const group = keyGroupFor(key, 128);
        return group >= range.start && group < range.end;
      });
      expect(new Set([...part.keys()])).toEqual(new Set(mine));
      all.push(...mine);
    }
    expect(all).toHaveLength(KEYS.length);
  });

  it('a state written after the snapshot was taken is not in it', async () => {
    const s = storage();
    const source = await populated();
    await source.flush();
    const frames = writeKeyedSnapshot(source, s, 1, 'op-0');
    // The job goes on while the file is written.
    source.setCurrentKey('late-key');
    source.getState(count).update(1);
    await source.flush();
    const { file } = await frames;
    const restored = await fixture.backend();
    await restoreKeyedSnapshot(restored, s, [{ checkpointId: 1, file }], { start: 0, end: 128 });
    restored.setCurrentKey('late-key');
    expect(restored.getState(count).value()).toBeUndefined();
  });

  it('incremental snapshots carry only what changed and restore on top of the full one', async () => {
    const s = storage();
    const source = await populated();
    const timers = new InternalTimerService('op', source, noClock, { onEventTime: () => {}, onProcessingTime: () => {} });
    const full = await writeKeyedSnapshot(source, s, 1, 'op-0', true);
    // The first snapshot of a backend has no earlier one to build on: it is full whatever was asked.
    expect(full.full).toBe(true);
    const small = await fixture.backend();
    small.setCurrentKey('k');
    small.getState(count).update(1);
    expect((await writeKeyedSnapshot(small, s, 1, 'small', true)).full).toBe(true);
    const chain = [{ checkpointId: 1, file: full.file }];
    const changed = KEYS.slice(0, 30);
    for (const checkpointId of [2, 3]) {
      for (const key of changed) {
        source.setCurrentKey(key);
        source.getState(count).update(checkpointId * 1_000);
      }
      source.setCurrentKey(KEYS[100 + checkpointId]!);
      source.getState(seen).clear();
      source.setCurrentKey(KEYS[200 + checkpointId]!);
      timers.registerEventTimeTimer(10, 50_000 + checkpointId);
      const delta = await writeKeyedSnapshot(source, s, checkpointId, 'op-0', true);
      expect(delta.full).toBe(false);
      // 30 changed values, a deletion and a timer, against about 12,000 entries in the full snapshot.
      expect(delta.file.bytes).toBeLessThan(full.file.bytes / 20);
      chain.push({ checkpointId, file: delta.file });
    }
    const restored = await fixture.backend();
    await restoreKeyedSnapshot(restored, s, chain, { start: 0, end: 128 });
    expect(contents(restored, KEYS)).toEqual(contents(source, KEYS));
    const onlyFull = await fixture.backend();
    await restoreKeyedSnapshot(onlyFull, s, chain.slice(0, 1), { start: 0, end: 128 });
    expect(contents(onlyFull, KEYS)).not.toEqual(contents(source, KEYS));
  });

  it('a truncated snapshot file fails the restore with CorruptCheckpointError', async () => {
    const s = storage();
    const { file } = await writeKeyedSnapshot(await populated(), s, 1, 'op-0');
    truncateSync(join(s.jobDir, file.path), Math.floor(file.bytes / 2));
    const restored = await fixture.backend();
    await expect(restoreKeyedSnapshot(restored, s, [{ checkpointId: 1, file }], { start: 0, end: 128 })).rejects.toBeInstanceOf(
      CorruptCheckpointError,
    );
  });
});

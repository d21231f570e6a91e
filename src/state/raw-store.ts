import type { RootDatabase } from 'lmdb';
import type { RawEntry } from './backend.ts';
import { compareRawParts } from './key-codec.ts';

const DELETED: unique symbol = Symbol('deleted raw entry');

interface Staged {
  readonly table: string;
  readonly keyGroup: number;
  readonly parts: readonly (string | number)[];
  value: unknown;
}

/**
 * Staged writes to runtime-internal tables (timers), LMDB layout [table, keyGroup, ...parts]. They land with the
 * next cache spill or flush; a scan merges them with LMDB in LMDB's key order.
 */
export class RawStore {
  /** table -> key group -> JSON of parts -> staged write. */
  private readonly staged = new Map<string, Map<number, Map<string, Staged>>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  put(table: string, keyGroup: number, parts: readonly (string | number)[], value: unknown): void {
    if (value === undefined) throw new TypeError(`raw table '${table}': a value cannot be undefined`);
    this.stage(table, keyGroup, parts, value);
  }

  delete(table: string, keyGroup: number, parts: readonly (string | number)[]): void {
    this.stage(table, keyGroup, parts, DELETED);
  }

  private stage(table: string, keyGroup: number, parts: readonly (string | number)[], value: unknown): void {
    let byGroup = this.staged.get(table);
    if (byGroup === undefined) this.staged.set(table, (byGroup = new Map()));
    let byParts = byGroup.get(keyGroup);
    if (byParts === undefined) byGroup.set(keyGroup, (byParts = new Map()));
    const id = JSON.stringify(parts);
    const existing = byParts.get(id);
    if (existing !== undefined) {
      existing.value = value;
      return;
    }
    byParts.set(id, { table, keyGroup, parts: [...parts], value });
    this.count++;
  }

  /**
   * Applies every staged write; call inside a write transaction, then `reset()` once it committed. `written` hears
   * each (undefined for a delete).
   */
  writeTo(db: RootDatabase, written: (key: (string | number)[], value: unknown) => void): void {
    for (const byGroup of this.staged.values()) {
      for (const byParts of byGroup.values()) {
        for (const s of byParts.values()) {
          const key = [s.table, s.keyGroup, ...s.parts];
          const value = s.value === DELETED ? undefined : s.value;
          if (value === undefined) db.removeSync(key);
          else db.putSync(key, value);
          written(key, value);
        }
      }
    }
  }

  reset(): void {
    this.staged.clear();
    this.count = 0;
  }

  /** Entries of one table and key group in key order, as of the start of the scan. */
  *scan(db: RootDatabase, table: string, keyGroup: number): Generator<RawEntry> {
    const pending = [...(this.staged.get(table)?.get(keyGroup)?.values() ?? [])]
      .map((s) => ({ parts: s.parts, value: s.value }))
      .sort((a, b) => compareRawParts(a.parts, b.parts));
    let i = 0;
    for (const { key, value } of db.getRange({ start: [table, keyGroup], end: [table, keyGroup + 1] })) {
      const parts = (key as (string | number)[]).slice(2);
      let order = -1;
      while (i < pending.length && (order = compareRawParts(pending[i]!.parts, parts)) < 0) {
        const s = pending[i++]!;
        if (s.value !== DELETED) yield s;
      }
      if (i < pending.length && order === 0) {
        // The staged write replaces (or deletes) the stored entry.
        const s = pending[i++]!;
        if (s.value !== DELETED) yield s;
        continue;
      }
      yield { parts, value };
    }
    for (; i < pending.length; i++) {
      const s = pending[i]!;
      if (s.value !== DELETED) yield s;
    }
  }
}

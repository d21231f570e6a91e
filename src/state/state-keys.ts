import type { RootDatabase } from 'lmdb';
import type { StateTtlConfig } from './descriptors.ts';
import { cacheKeyOfStoredPart, keyOfCacheKey, type StoredKeyPart } from './key-codec.ts';
import { isStoredExpired } from './ttl.ts';

/**
 * Every key with a (live) value under the given states, each once, read from LMDB alone: the caller writes dirty
 * cache entries first, so tombstones are already applied. Works one key group at a time: a key's values in several
 * states and namespaces all sit in that key group's ranges, so de-duplication needs only that group's keys in
 * memory, and no cursor stays open while the caller's loop body runs.
 */
export function* scanStateKeys(
  db: RootDatabase,
  names: readonly string[],
  ttlOf: (name: string) => StateTtlConfig | undefined,
  maxParallelism: number,
  now: number,
): Generator<unknown> {
  for (let kg = 0; kg < maxParallelism; kg++) {
    const seen = new Set<StoredKeyPart>();
    for (const name of names) {
      // LMDB layout [stateName, keyGroup, namespace, key]: this range is one state's key group.
      const range = { start: [name, kg], end: [name, kg + 1] };
      const ttl = ttlOf(name);
      if (ttl === undefined) {
        for (const key of db.getKeys(range)) seen.add((key as StoredKeyPart[])[3]!);
      } else {
        for (const { key, value } of db.getRange(range)) {
          if (!isStoredExpired(value, ttl, now)) seen.add((key as StoredKeyPart[])[3]!);
        }
      }
    }
    for (const part of seen) yield keyOfCacheKey(cacheKeyOfStoredPart(part));
  }
}

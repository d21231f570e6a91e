import type { StateTtlConfig } from './descriptors.ts';
import type { CacheEntry } from './state-cache.ts';

/**
 * TTL in processing time (Flink's semantics for one stored value): a value whose last write (or read, with
 * 'onReadAndWrite') is at least ttlMs old is absent. An expired value is turned into a tombstone when it is seen,
 * so that LMDB forgets it at the next write-back.
 */
export function liveValue(entry: CacheEntry, ttl: StateTtlConfig | undefined, now: number): unknown {
  const value = entry.value;
  if (ttl === undefined || value === undefined) return value;
  if (now - entry.ts >= ttl.ttlMs) {
    entry.markAbsent();
    return undefined;
  }
  if (ttl.updateType === 'onReadAndWrite' && entry.ts !== now) {
    // The refreshed timestamp must reach LMDB too, or an eviction would bring back the old one.
    entry.ts = now;
    entry.markChanged();
  }
  return value;
}

/** Whether a stored [timestamp, value] pair is expired; used by key scans that bypass the cache. */
export function isStoredExpired(stored: unknown, ttl: StateTtlConfig, now: number): boolean {
  return Array.isArray(stored) && typeof stored[0] === 'number' && now - stored[0] >= ttl.ttlMs;
}

/** LMDB layout of a value: the bare value, or [timestamp, value] when the state has a TTL. */
export function toStored(value: unknown, ts: number, ttl: StateTtlConfig | undefined): unknown {
  return ttl === undefined ? value : [ts, value];
}

export function fromStored(stored: unknown, ttl: StateTtlConfig | undefined): { value: unknown; ts: number } {
  if (ttl === undefined) return { value: stored, ts: 0 };
  if (!Array.isArray(stored) || stored.length !== 2 || typeof stored[0] !== 'number') {
    throw new Error('state with a TTL holds a value without a timestamp: was it written without a TTL?');
  }
  return { value: stored[1], ts: stored[0] };
}

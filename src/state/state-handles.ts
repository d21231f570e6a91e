import type {
  AggregateFunction,
  AggregatingState,
  AnyStateDescriptor,
  ListState,
  MapState,
  ReducingState,
  StateTtlConfig,
  ValueState,
} from './descriptors.ts';
import { cacheKeyOf, type CacheKey } from './key-codec.ts';
import type { CacheEntry, StateTable, ValueCodec } from './state-cache.ts';
import { liveValue } from './ttl.ts';
import type { ReduceFunction } from './descriptors.ts';

/** What handles need from the backend: the entry of the current key and namespace, and the TTL clock. */
export interface EntrySource {
  entry(table: StateTable): CacheEntry;
  /** The entry was cleared and neither LMDB nor a snapshot has it: it can leave the cache (window state, say). */
  dropClearedEntry(entry: CacheEntry): void;
  now(): number;
}

/** MapState's cached form: cache identity of the user key -> [user key, value]. */
type CachedMap = Map<CacheKey, [unknown, unknown]>;

const identity: ValueCodec = { encode: (value) => value, decode: (stored) => stored };

/** MapState is one LMDB value per key and namespace: an array of [userKey, value] pairs. */
const mapCodec: ValueCodec = {
  encode: (value) => Array.from((value as CachedMap).values()),
  decode: (stored) => new Map((stored as [unknown, unknown][]).map((pair) => [cacheKeyOf(pair[0]), pair])),
};

export function codecFor(kind: AnyStateDescriptor['kind']): ValueCodec {
  return kind === 'map' ? mapCodec : identity;
}

/**
 * Every access goes through `src.entry`, which reads the current key and namespace; a write re-fetches the entry
 * after user code ran (a reduce function may touch other state and make the cache evict this entry).
 */
abstract class Handle {
  private readonly ttl: StateTtlConfig | undefined;
  constructor(
    private readonly src: EntrySource,
    private readonly table: StateTable,
  ) {
    this.ttl = table.ttl;
  }

  protected read(): unknown {
    const entry = this.src.entry(this.table);
    return this.ttl === undefined ? entry.value : liveValue(entry, this.ttl, this.src.now());
  }

  /** `undefined` clears. */
  protected write(value: unknown): void {
    const entry = this.src.entry(this.table);
    if (value === undefined) {
      this.markAbsent(entry);
      return;
    }
    entry.value = value;
    entry.markChanged();
    if (this.ttl !== undefined) entry.ts = this.src.now();
  }

  clear(): void {
    const entry = this.src.entry(this.table);
    // An absent entry is either a clean miss (LMDB holds nothing) or already a tombstone.
    if (entry.value === undefined) return;
    this.markAbsent(entry);
  }

  private markAbsent(entry: CacheEntry): void {
    entry.markAbsent();
    // A clean miss kept in the cache would only wait for eviction: a cleared window is never read again.
    if (!entry.inStore) this.src.dropClearedEntry(entry);
  }
}

class ValueHandle<T> extends Handle implements ValueState<T> {
  value(): T | undefined {
    return this.read() as T | undefined;
  }

  /** As in Flink, updating to "no value" clears. */
  update(value: T): void {
    if (value === undefined) this.clear();
    else this.write(value);
  }
}

class ListHandle<T> extends Handle implements ListState<T> {
  get(): T[] {
    const list = this.read() as T[] | undefined;
    return list === undefined ? [] : list.slice();
  }

  add(value: T): void {
    const list = this.read() as T[] | undefined;
    if (list === undefined) this.write([value]);
    else {
      list.push(value);
      this.write(list);
    }
  }

  addAll(values: readonly T[]): void {
    if (values.length === 0) return;
    const list = (this.read() as T[] | undefined) ?? [];
    for (const value of values) list.push(value);
    this.write(list);
  }

  update(values: readonly T[]): void {
    if (values.length === 0) this.clear();
    else this.write(values.slice());
  }
}

class MapHandle<UK, UV> extends Handle implements MapState<UK, UV> {
  private current(): CachedMap | undefined {
    return this.read() as CachedMap | undefined;
  }

  get(key: UK): UV | undefined {
    return this.current()?.get(cacheKeyOf(key))?.[1] as UV | undefined;
  }

  put(key: UK, value: UV): void {
    const ck = cacheKeyOf(key);
    const map = this.current() ?? new Map();
    map.set(ck, [key, value]);
    this.write(map);
  }

  putAll(entries: Iterable<readonly [UK, UV]>): void {
    // Validate every key before touching the cached map, so a bad key cannot leave it half-updated and clean.
    const pairs = Array.from(entries, ([key, value]) => [cacheKeyOf(key), [key, value]] as const);
    if (pairs.length === 0) return;
    const map = this.current() ?? new Map();
    for (const [ck, pair] of pairs) map.set(ck, [pair[0], pair[1]]);
    this.write(map);
  }

  remove(key: UK): void {
    const map = this.current();
    if (map === undefined || !map.delete(cacheKeyOf(key))) return;
    // An empty map is no state at all: keys() must not report the key.
    this.write(map.size === 0 ? undefined : map);
  }

  contains(key: UK): boolean {
    return this.current()?.has(cacheKeyOf(key)) ?? false;
  }

  entries(): [UK, UV][] {
    const map = this.current();
    return map === undefined ? [] : Array.from(map.values(), ([k, v]) => [k as UK, v as UV]);
  }

  keys(): UK[] {
    const map = this.current();
    return map === undefined ? [] : Array.from(map.values(), (pair) => pair[0] as UK);
  }

  values(): UV[] {
    const map = this.current();
    return map === undefined ? [] : Array.from(map.values(), (pair) => pair[1] as UV);
  }

  isEmpty(): boolean {
    return this.current() === undefined;
  }
}

class ReducingHandle<T> extends Handle implements ReducingState<T> {
  constructor(
    src: EntrySource,
    table: StateTable,
    private readonly reduce: ReduceFunction<T>,
  ) {
    super(src, table);
  }

  get(): T | undefined {
    return this.read() as T | undefined;
  }

  add(value: T): void {
    const current = this.read() as T | undefined;
    this.write(current === undefined ? value : this.reduce(current, value));
  }
}

class AggregatingHandle<IN, ACC, OUT> extends Handle implements AggregatingState<IN, OUT> {
  constructor(
    src: EntrySource,
    table: StateTable,
    private readonly aggregate: AggregateFunction<IN, ACC, OUT>,
  ) {
    super(src, table);
  }

  get(): OUT | undefined {
    const acc = this.read() as ACC | undefined;
    return acc === undefined ? undefined : this.aggregate.getResult(acc);
  }

  add(value: IN): void {
    const acc = this.read() as ACC | undefined;
    this.write(this.aggregate.add(value, acc === undefined ? this.aggregate.createAccumulator() : acc));
  }
}

export function createHandle(src: EntrySource, table: StateTable, descriptor: AnyStateDescriptor): unknown {
  switch (descriptor.kind) {
    case 'value':
      return new ValueHandle(src, table);
    case 'list':
      return new ListHandle(src, table);
    case 'map':
      return new MapHandle(src, table);
    case 'reducing':
      return new ReducingHandle(src, table, descriptor.reduce);
    case 'aggregating':
      return new AggregatingHandle(src, table, descriptor.aggregate);
  }
}

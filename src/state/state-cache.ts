import { VOID_NAMESPACE, type Namespace } from './backend.ts';
import type { AnyStateDescriptor, StateTtlConfig } from './descriptors.ts';
import type { CacheKey } from './key-codec.ts';
import { stateNameHash } from './stored-key-filter.ts';

/** How a state kind's cached value maps to what LMDB stores (MapState: a JS Map in the cache, an array on disk). */
export interface ValueCodec {
  encode(value: unknown): unknown;
  decode(stored: unknown): unknown;
}

/**
 * One cached (state, key, namespace) value. `value === undefined` means absent: a clean absent entry is a cached
 * miss, a dirty one is a tombstone that removes the LMDB record at the next write-back.
 */
export class CacheEntry {
  /** Changed since LMDB last got it. */
  dirty = false;
  /** Changed since the last snapshot took it, and not in LMDB's change log: the next incremental snapshot needs it. */
  unsnapshotted = false;
  /** Second-chance bit: set by a cache hit, cleared when the eviction hand passes. */
  ref = false;
  /** LMDB or a snapshot may hold a record for this entry: only then does clearing it need a tombstone. */
  inStore: boolean;
  /** In the cache's clock list (StateCache): its neighbours there, by insertion order. */
  listed = false;
  prev: CacheEntry | undefined = undefined;
  next: CacheEntry | undefined = undefined;
  constructor(
    readonly table: StateTable,
    readonly ns: Namespace,
    readonly ck: CacheKey,
    readonly kg: number,
    public value: unknown,
    /** TTL timestamp (ms of the backend clock); 0 without TTL. */
    public ts: number,
  ) {
    this.inStore = value !== undefined;
  }

  /**
   * Drops the value. A value that never reached LMDB leaves a clean miss, not a tombstone: window state that opens
   * and clears between two spills then costs LMDB nothing.
   */
  markAbsent(): void {
    this.value = undefined;
    this.dirty = this.inStore;
    this.unsnapshotted = this.inStore;
  }

  /** The value (or its TTL timestamp) changed. */
  markChanged(): void {
    this.dirty = true;
    this.unsnapshotted = true;
  }
}

/** The cached entries of one state name. VOID namespace entries live in a flat map so the common case is one lookup. */
export class StateTable {
  readonly plain = new Map<CacheKey, CacheEntry>();
  private readonly namespaced = new Map<Namespace, Map<CacheKey, CacheEntry>>();
  /** For the backend's StoredKeyFilter. */
  readonly nameHash: number;
  /** The entry of the backend's current key/namespace, valid while `memoGen` equals the backend's generation. */
  memoGen = -1;
  memo: CacheEntry | undefined = undefined;
  constructor(
    readonly name: string,
    readonly kind: AnyStateDescriptor['kind'],
    readonly ttl: StateTtlConfig | undefined,
    readonly codec: ValueCodec,
  ) {
    this.nameHash = stateNameHash(name);
  }

  /** The map of the namespace used last: consecutive records mostly hit one window. */
  private lastNs: Namespace = VOID_NAMESPACE;
  private lastNsMap: Map<CacheKey, CacheEntry> | undefined = undefined;

  /** The entries of a namespace, if it has any. */
  find(ns: Namespace): Map<CacheKey, CacheEntry> | undefined {
    if (ns === VOID_NAMESPACE) return this.plain;
    if (ns === this.lastNs) return this.lastNsMap;
    const map = this.namespaced.get(ns);
    if (map !== undefined) {
      this.lastNs = ns;
      this.lastNsMap = map;
    }
    return map;
  }

  mapFor(ns: Namespace): Map<CacheKey, CacheEntry> {
    let map = this.find(ns);
    if (map === undefined) {
      map = new Map();
      this.namespaced.set(ns, map);
    }
    return map;
  }

  remove(entry: CacheEntry): void {
    if (entry.ns === VOID_NAMESPACE) {
      this.plain.delete(entry.ck);
      return;
    }
    const map = this.namespaced.get(entry.ns);
    if (map === undefined) return;
    map.delete(entry.ck);
    // Window namespaces come and go; do not keep an empty map per window ever seen.
    if (map.size === 0) {
      this.namespaced.delete(entry.ns);
      if (map === this.lastNsMap) {
        this.lastNs = VOID_NAMESPACE;
        this.lastNsMap = undefined;
      }
    }
  }
}

export interface CacheHooks {
  /** Staged writes outside the cache (raw tables) that count toward the bound. */
  backlog(): number;
  /** Writes the dirty victims and the staged raw writes in one LMDB transaction. */
  spill(victims: readonly CacheEntry[]): void;
  /** Called after victims left the cache, so that memoised entries are dropped. */
  evicted(): void;
}

/**
 * Bounded write-back cache across all states of one subtask. Eviction is a clock (second chance) over insertion
 * order: a chunk of about 10% goes at once, in one transaction, so LMDB sees few large batches instead of one
 * write per record; entries hit since the hand last passed are moved to the back instead. The order is a list
 * threaded through the entries themselves: window state inserts and removes an entry per key and window, and
 * linking one costs a few pointer writes where a Set of 100,000 entries costs a hash lookup each way.
 */
export class StateCache {
  private head: CacheEntry | undefined = undefined;
  private tail: CacheEntry | undefined = undefined;
  private count = 0;
  readonly chunk: number;

  constructor(
    readonly capacity: number,
    private readonly hooks: CacheHooks,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`cacheEntries must be a positive integer, got ${capacity}`);
    }
    this.chunk = Math.max(1, Math.ceil(capacity / 10));
  }

  get size(): number {
    return this.count;
  }

  /** Makes room for one more entry or staged write; call before inserting. */
  reserve(): void {
    if (this.count + this.hooks.backlog() >= this.capacity) this.evictChunk();
  }

  insert(entry: CacheEntry): void {
    entry.table.mapFor(entry.ns).set(entry.ck, entry);
    this.append(entry);
  }

  /** Takes one entry out (a clean miss nobody needs any more); an entry no longer cached is left alone. */
  remove(entry: CacheEntry): void {
    if (!entry.listed) return;
    this.unlink(entry);
    entry.table.remove(entry);
  }

  evictChunk(): void {
    const victims: CacheEntry[] = [];
    // A referenced entry goes to the back with its bit cleared, where the hand meets it again (the last one at once),
    // so the walk ends within two passes.
    let entry = this.head;
    while (entry !== undefined && victims.length < this.chunk) {
      let next = entry.next;
      if (entry.ref) {
        entry.ref = false;
        this.unlink(entry);
        this.append(entry);
        if (next === undefined) next = entry;
      } else {
        victims.push(entry);
      }
      entry = next;
    }
    // Spill first: if the write fails, the victims (and their dirty values) stay cached.
    this.hooks.spill(victims);
    for (const victim of victims) {
      this.unlink(victim);
      victim.table.remove(victim);
    }
    this.hooks.evicted();
  }

  *dirtyEntries(): Generator<CacheEntry> {
    for (let entry = this.head; entry !== undefined; entry = entry.next) if (entry.dirty) yield entry;
  }

  /** Every cached entry, oldest first; the cache must not change while this is iterated. */
  *entries(): Generator<CacheEntry> {
    for (let entry = this.head; entry !== undefined; entry = entry.next) yield entry;
  }

  clear(): void {
    for (let entry = this.head; entry !== undefined; ) {
      const next = entry.next;
      entry.table.remove(entry);
      entry.listed = false;
      entry.prev = entry.next = undefined;
      entry = next;
    }
    this.head = this.tail = undefined;
    this.count = 0;
    this.hooks.evicted();
  }

  private append(entry: CacheEntry): void {
    entry.listed = true;
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
    this.count++;
  }

  private unlink(entry: CacheEntry): void {
    const { prev, next } = entry;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    entry.listed = false;
    entry.prev = entry.next = undefined;
    this.count--;
  }
}

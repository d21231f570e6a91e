import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { open, TransactionFlags, type Key, type RootDatabase } from 'lmdb';
import { VOID_NAMESPACE, type KeyedStateBackend, type Namespace, type RawEntry } from './backend.ts';
import type { AnyStateDescriptor, StateHandleFor } from './descriptors.ts';
import { cacheKeyOf, checkRawParts, storedPartOf, type CacheKey, type StoredKeyPart } from './key-codec.ts';
import { keyGroupFor } from './key-groups.ts';
import { RawStore } from './raw-store.ts';
import { ChangeLog, type ChangedEntry } from './change-log.ts';
import { article, CATALOG_KEY, isCatalogKey, sameTtl, StateCatalog, type StoredCatalog } from './state-catalog.ts';
import { CacheEntry, StateCache, StateTable } from './state-cache.ts';
import { codecFor, createHandle, type EntrySource } from './state-handles.ts';
import { scanStateKeys } from './state-keys.ts';
import { fromStored, toStored } from './ttl.ts';
import { StoredKeyFilter, stateNameHash } from './stored-key-filter.ts';

export interface LmdbBackendOptions {
  /** Directory of this subtask's LMDB environment; the runtime opens each path once per process. */
  readonly path: string;
  readonly maxParallelism: number;
  /** Bound of the write-back cache: cached values (all states) plus staged raw writes. */
  readonly cacheEntries: number;
  /** Processing-time clock for TTL, in ms. */
  readonly clock?: () => number;
  /**
   * lmdb-js `remapChunks` (default true): map the file in chunks that get unmapped again, so RSS stays bounded when
   * state outgrows memory (10M keys: peak RSS 0.8 GiB instead of 1.4 GiB; LMDB reads up to ~15% slower, cache hits
   * unaffected).
   */
  readonly remapChunks?: boolean;
}

/** Which states exist (so keys() can find them without a descriptor) and their layout, persisted with the state. */
const openPaths = new Set<string>();

/**
 * Keyed state of one operator subtask in its own LMDB environment (docs/architecture.md, decision 6). LMDB keys are
 * [stateName, keyGroup, namespace, key] in ordered-binary, so each (state, key group) is one contiguous range, and
 * within it one window's entries sit together: a spill, mostly of the current window, touches few pages (with 1M
 * keys the namespace-last layout ran 12% slower). Runtime tables are [table, keyGroup, ...parts]. Values are msgpack; with a TTL they are [timestamp, value].
 * A bounded write-back cache sits in front: hits never hash or touch LMDB, misses read LMDB synchronously, and
 * dirty values reach LMDB in one transaction per evicted chunk or per flush.
 * `close()` does not write dirty state: whatever a checkpoint needs, its snapshot() took.
 */
export class LmdbKeyedStateBackend implements KeyedStateBackend, EntrySource {
  static async open(options: LmdbBackendOptions): Promise<LmdbKeyedStateBackend> {
    const { maxParallelism } = options;
    if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > 32768) {
      throw new RangeError(`maxParallelism must be an integer in 1..32768, got ${maxParallelism}`);
    }
    if (!Number.isInteger(options.cacheEntries) || options.cacheEntries < 1) {
      throw new RangeError(`cacheEntries must be a positive integer, got ${options.cacheEntries}`);
    }
    const dir = resolve(options.path);
    // Several opens of one environment in a process led to reader-slot and corruption bugs (docs/architecture.md, hazards).
    // This catches a second open within a thread; across worker threads the runtime's path assignment must.
    if (openPaths.has(dir)) throw new Error(`LMDB environment ${dir} is already open in this thread`);
    mkdirSync(dir, { recursive: true });
    // noSubdir: false because a directory name with a dot would otherwise be taken for a file name. Large bigints
    // in values would make msgpack throw at eviction time, far from the cause; the extension stores them instead.
    // noSync: the environment is a job attempt's scratch space (a fresh directory, removed when the attempt ends, never
    // opened again after a crash); checkpoints copy what they need out of it into their own fsynced files, so no
    // checkpoint claims it (docs/architecture.md, hazards). Not syncing its commits saved ~10% of Nexmark q3 at p1, whose
    // state outgrows the cache.
    const db = open({
      path: dir,
      noSubdir: false,
      remapChunks: options.remapChunks ?? true,
      encoder: { useBigIntExtension: true },
      noSync: true,
    });
    openPaths.add(dir);
    return new LmdbKeyedStateBackend(db, dir, options);
  }

  readonly maxParallelism: number;
  readonly now: () => number;
  private key: unknown = undefined;
  private hasKey = false;
  private ck: CacheKey = '';
  private kg = -1;
  private ns: Namespace = VOID_NAMESPACE;
  /** Bumped whenever the current key or namespace changes or entries leave the cache; invalidates memos. */
  private gen = 0;
  private readonly tables = new Map<string, StateTable>();
  private readonly handles = new Map<AnyStateDescriptor, unknown>();
  private readonly catalog: StateCatalog;
  private readonly raw = new RawStore();
  private readonly flushHooks: (() => void)[] = [];
  /** LMDB writes since the last snapshot, for incremental checkpoints; ten cache-fulls at most. */
  private readonly changes: ChangeLog;
  private readonly cache: StateCache;
  private closed = false;
  /** What LMDB may hold, so that most misses skip the read; none when the environment was not fresh (unknown). */
  private readonly storedKeys: StoredKeyFilter | undefined;

  private constructor(
    private readonly db: RootDatabase,
    private readonly dir: string,
    options: LmdbBackendOptions,
  ) {
    this.maxParallelism = options.maxParallelism;
    this.changes = new ChangeLog(options.cacheEntries * 10);
    this.now = options.clock ?? Date.now;
    const storedCatalog = db.get([...CATALOG_KEY]) as StoredCatalog | undefined;
    this.storedKeys = storedCatalog === undefined ? new StoredKeyFilter() : undefined;
    this.catalog = new StateCatalog(storedCatalog);
    this.cache = new StateCache(options.cacheEntries, {
      backlog: () => this.raw.size,
      spill: (victims) => this.spill(victims),
      evicted: () => void this.gen++,
    });
  }

  get currentKey(): unknown {
    return this.key;
  }

  get currentCacheKey(): CacheKey {
    return this.ck;
  }

  /** The key group is hashed lazily: a cache hit never needs it. */
  get currentKeyGroup(): number {
    if (this.kg < 0) {
      if (!this.hasKey) throw new Error('no current key: call setCurrentKey before using keyed state');
      this.kg = keyGroupFor(this.key, this.maxParallelism);
    }
    return this.kg;
  }

  get currentNamespace(): Namespace {
    return this.ns;
  }

  /** State reads the cache answered, and those that went to LMDB (the state cache hit ratio's metrics). */
  cacheHits = 0;
  cacheMisses = 0;

  /** Cached entries (values, misses and tombstones); for tests and metrics. */
  get cachedEntries(): number {
    return this.cache.size;
  }

  setCurrentKey(key: unknown): void {
    this.ck = cacheKeyOf(key);
    this.key = key;
    this.hasKey = true;
    this.kg = -1;
    this.gen++;
  }

  /** Numbers and strings are different namespaces (5 is not '5'); -0 is 0, as in a Map. */
  setCurrentNamespace(namespace: Namespace): void {
    if (namespace === this.ns) return;
    if (typeof namespace === 'number') {
      if (!Number.isFinite(namespace)) throw new TypeError(`a namespace number must be finite, got ${namespace}`);
      namespace = namespace === 0 ? 0 : namespace;
    } else if (typeof namespace !== 'string') {
      throw new TypeError(`a namespace must be a string or a number, got ${typeof namespace}`);
    }
    this.ns = namespace;
    this.gen++;
  }

  /** Hot path: a memo hit costs one comparison, a cache hit one or two Map lookups. */
  entry(table: StateTable): CacheEntry {
    if (table.memoGen === this.gen) {
      this.cacheHits++;
      return table.memo!;
    }
    let entry = table.find(this.ns)?.get(this.ck);
    if (entry === undefined) {
      this.cacheMisses++;
      entry = this.load(table);
    } else {
      this.cacheHits++;
      entry.ref = true;
    }
    table.memoGen = this.gen;
    table.memo = entry;
    return entry;
  }

  private load(table: StateTable): CacheEntry {
    if (this.closed) throw new Error('keyed state backend is closed');
    const kg = this.currentKeyGroup;
    this.cache.reserve();
    const part = storedPartOf(this.ck);
    const stored: unknown =
      this.storedKeys === undefined || this.storedKeys.mightContain(table.nameHash, this.ns, part) ? this.db.get([table.name, kg, this.ns, part]) : undefined;
    let value: unknown = undefined;
    let ts = 0;
    if (stored !== undefined) {
      const unpacked = fromStored(stored, table.ttl);
      value = table.codec.decode(unpacked.value);
      ts = unpacked.ts;
    }
    const entry = new CacheEntry(table, this.ns, this.ck, kg, value, ts);
    this.cache.insert(entry);
    return entry;
  }

  dropClearedEntry(entry: CacheEntry): void {
    this.cache.remove(entry);
    this.gen++;
  }

  getState<D extends AnyStateDescriptor>(descriptor: D): StateHandleFor<D> {
    let handle = this.handles.get(descriptor);
    if (handle === undefined) {
      handle = createHandle(this, this.tableFor(descriptor), descriptor);
      this.handles.set(descriptor, handle);
    }
    return handle as StateHandleFor<D>;
  }

  private tableFor(descriptor: AnyStateDescriptor): StateTable {
    const { name, kind, ttl } = descriptor;
    const table = this.tables.get(name);
    if (table !== undefined) {
      if (table.kind !== kind) {
        throw new TypeError(`state '${name}' is ${article(table.kind)} state, not ${article(kind)} state`);
      }
      if (!sameTtl(table.ttl, ttl)) {
        throw new TypeError(`state '${name}' is declared twice with different TTL settings`);
      }
      return table;
    }
    this.catalog.declare(descriptor);
    const created = new StateTable(name, kind, ttl, codecFor(kind));
    this.tables.set(name, created);
    return created;
  }

  /** Flushes dirty values to LMDB (without waiting for durability) and scans it; see scanStateKeys. */
  *keys(stateName?: string): Generator<unknown> {
    const names = stateName === undefined ? this.catalog.names : this.catalog.has(stateName) ? [stateName] : [];
    if (names.length === 0) return;
    this.writeDirty();
    yield* scanStateKeys(this.db, names, (name) => this.tables.get(name)?.ttl, this.maxParallelism, this.now());
  }

  putRaw(table: string, keyGroup: number, parts: readonly (string | number)[], value: unknown): void {
    this.checkRaw(table, keyGroup);
    const checked = checkRawParts(parts);
    this.cache.reserve();
    this.raw.put(table, keyGroup, checked, value);
  }

  deleteRaw(table: string, keyGroup: number, parts: readonly (string | number)[]): void {
    this.checkRaw(table, keyGroup);
    const checked = checkRawParts(parts);
    this.cache.reserve();
    this.raw.delete(table, keyGroup, checked);
  }

  scanRaw(table: string, keyGroup: number): Iterable<RawEntry> {
    this.checkRaw(table, keyGroup);
    return this.raw.scan(this.db, table, keyGroup);
  }

  private checkRaw(table: string, keyGroup: number): void {
    if (!table.startsWith('__') || table === CATALOG_KEY[0]) {
      throw new TypeError(`raw table names start with '__' and '${CATALOG_KEY[0]}' is reserved, got '${table}'`);
    }
    if (!Number.isInteger(keyGroup) || keyGroup < 0 || keyGroup >= this.maxParallelism) {
      throw new RangeError(`key group ${keyGroup} is outside 0..${this.maxParallelism - 1}`);
    }
  }

  onFlush(hook: () => void): void {
    this.flushHooks.push(hook);
  }

  /**
   * Writes every dirty entry (and staged raw write) to LMDB in one transaction, without fsync: the environment is the
   * attempt's scratch space, and a restore reads the checkpoint's own files, which the storage makes durable. An
   * environment sync here ran on libuv's pool and crashed the process (SIGSEGV) when the worker thread ended or the
   * environment closed before it called back (the race behind lmdb-js's async-flush segfaults in parcel#7702).
   */
  flush(): void {
    for (const hook of this.flushHooks) hook();
    this.writeDirty();
  }

  /**
   * The state at this instant, for a checkpoint; call at the barrier. Nothing of the cache is written to LMDB: dirty
   * values are copied into `changes` instead (about 100x cheaper than writing 100k values scattered over a big
   * B-tree, which held a barrier up for 3 s at 10M keys); LMDB gets them when they are evicted, as it would anyway.
   * Full, or not `incremental`, or when the change log outgrew its bound: `stored` is every LMDB entry from a read
   * snapshot opened now, and `changes` the dirty values LMDB lacks, to apply after it. Incremental: `changes` is what
   * reached LMDB since the previous snapshot, then what changed in the cache since then. `changes` holds live
   * values (a list state grows in place): encode it before the job goes on.
   */
  snapshot(incremental: boolean): StateSnapshot {
    for (const hook of this.flushHooks) hook();
    if (this.raw.size > 0 || this.catalog.dirty) this.commit(() => {});
    const logged = this.changes.take();
    const full = !incremental || logged === undefined;
    const changes = full ? [] : logged;
    for (const entry of this.cache.entries()) {
      if (full ? entry.dirty : entry.unsnapshotted) {
        changes.push({ key: storedKeyOf(entry), value: storedValueOf(entry) });
        if (entry.value !== undefined) entry.inStore = true;
      }
      entry.unsnapshotted = false;
    }
    return { stored: full ? this.storedEntries() : undefined, changes };
  }

  /** Every stored entry in key order, from one LMDB read snapshot, opened before this returns (not at the first pull). */
  private storedEntries(): Iterable<[key: unknown[], value: unknown]> {
    const range = this.db.getRange({ snapshot: true });
    const entries = range[Symbol.iterator]();
    const first = entries.next();
    return {
      *[Symbol.iterator]() {
        for (let next = first; next.done !== true; next = entries.next()) yield [next.value.key as unknown[], next.value.value];
      },
    };
  }

  /**
   * Writes restored entries (from storedEntries of some subtask) in one transaction. The list of known states is
   * merged, so that keys() finds restored states before they are declared again. The cache is bypassed: call it
   * before the job touches state.
   */
  restoreEntries(entries: readonly (readonly [key: unknown[], value: unknown])[]): void {
    this.commit(() => {
      for (const [key, value] of entries) {
        if (isCatalogKey(key)) {
          this.catalog.merge(value as StoredCatalog);
        } else if (value === undefined) {
          this.db.removeSync(key as Key);
        } else {
          this.db.putSync(key as Key, value);
          const [name, , namespace, part] = key as [string, number, Namespace, StoredKeyPart];
          this.storedKeys?.add(stateNameHash(name), namespace, part);
        }
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    this.raw.reset();
    try {
      await this.db.flushed;
      await this.db.close();
    } finally {
      openPaths.delete(this.dir);
    }
  }

  /** Cache pressure: the dirty victims and every staged raw write, in one transaction. */
  private spill(victims: readonly CacheEntry[]): void {
    let dirty = 0;
    for (const entry of victims) if (entry.dirty) dirty++;
    if (dirty === 0 && this.raw.size === 0 && !this.catalog.dirty) return;
    this.commit(() => {
      for (const entry of victims) if (entry.dirty) this.writeEntry(entry);
    });
  }

  private writeDirty(): void {
    const dirty = [...this.cache.dirtyEntries()];
    if (dirty.length === 0 && this.raw.size === 0 && !this.catalog.dirty) return;
    this.commit(() => {
      for (const entry of dirty) this.writeEntry(entry);
    });
    // Only after the commit: if it throws, the values stay dirty and are tried again. The change log has them now.
    for (const entry of dirty) {
      entry.dirty = false;
      entry.unsnapshotted = false;
      entry.inStore = entry.value !== undefined;
    }
  }

  private commit(writeEntries: () => void): void {
    if (this.closed) throw new Error('keyed state backend is closed');
    // The callback must return undefined: a returned promise would keep the transaction open. NO_SYNC_FLUSH begins
    // the transaction with MDB_NOSYNC: its commit does not fsync. Nothing here needs durability (see flush),
    // and a spill's fsync was most of a state-heavy job's time.
    this.db.transactionSync(() => {
      writeEntries();
      this.raw.writeTo(this.db, (key, value) => this.changes.record(key, value));
      if (this.catalog.dirty) {
        const stored = this.catalog.toStored();
        this.db.putSync([...CATALOG_KEY], stored);
        this.changes.record([...CATALOG_KEY], stored);
      }
    }, TransactionFlags.NO_SYNC_FLUSH);
    this.raw.reset();
    this.catalog.dirty = false;
  }

  private writeEntry(entry: CacheEntry): void {
    const key = storedKeyOf(entry);
    const stored = storedValueOf(entry);
    if (stored === undefined) this.db.removeSync(key);
    else {
      this.db.putSync(key, stored);
      this.storedKeys?.add(entry.table.nameHash, entry.ns, key[3] as StoredKeyPart);
    }
    // A value a snapshot took already needs no second copy in the next incremental one.
    if (entry.unsnapshotted) this.changes.record(key, stored);
  }
}

/** A checkpoint's view of one backend; see LmdbKeyedStateBackend.snapshot. */
export interface StateSnapshot {
  readonly stored: Iterable<[key: unknown[], value: unknown]> | undefined;
  readonly changes: ChangedEntry[];
}

function storedKeyOf(entry: CacheEntry): Key[] {
  return [entry.table.name, entry.kg, entry.ns, storedPartOf(entry.ck)];
}

/** What LMDB stores for the entry; undefined for a tombstone. */
function storedValueOf(entry: CacheEntry): unknown {
  const table = entry.table;
  return entry.value === undefined ? undefined : toStored(table.codec.encode(entry.value), entry.ts, table.ttl);
}

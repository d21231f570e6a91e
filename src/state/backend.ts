import type { AnyStateDescriptor, StateHandleFor } from './descriptors.ts';
import type { CacheKey } from './key-codec.ts';

/**
 * The scope of state below the key: a window's namespace (a number for fixed-size windows, their start; a string for
 * session windows), or VOID_NAMESPACE for plain keyed state.
 */
export type Namespace = string | number;

/** State without a namespace (keyed process functions). */
export const VOID_NAMESPACE = '';

/** One entry of a runtime-internal table (timers): ordered key parts under a key group, and a value. */
export interface RawEntry {
  readonly parts: readonly (string | number)[];
  readonly value: unknown;
}

/**
 * Keyed state of one operator subtask (docs/architecture.md, decision 6). Handles read the current key and namespace at access
 * time, as in Flink, so an operator fetches a handle once and reuses it for every record.
 */
export interface KeyedStateBackend {
  readonly maxParallelism: number;
  /** Sets the key for the following state accesses; computes its key group. */
  setCurrentKey(key: unknown): void;
  readonly currentKey: unknown;
  /** The current key's identity (`cacheKeyOf(currentKey)`), computed once per `setCurrentKey`. */
  readonly currentCacheKey: CacheKey;
  readonly currentKeyGroup: number;
  /** Namespace of the following accesses (a window); VOID_NAMESPACE for plain keyed state. */
  setCurrentNamespace(namespace: Namespace): void;
  readonly currentNamespace: Namespace;
  getState<D extends AnyStateDescriptor>(descriptor: D): StateHandleFor<D>;
  /** Every key with state under `stateName` (any state when omitted) in this subtask, each once. */
  keys(stateName?: string): Iterable<unknown>;
  /**
   * Runtime-internal ordered storage (timers). Writes are staged and land with the state in the next flush or snapshot;
   * `scanRaw` sees staged writes.
   */
  putRaw(table: string, keyGroup: number, parts: readonly (string | number)[], value: unknown): void;
  deleteRaw(table: string, keyGroup: number, parts: readonly (string | number)[]): void;
  scanRaw(table: string, keyGroup: number): Iterable<RawEntry>;
  /** Writes every dirty entry to the store in one transaction (checkpoints take a snapshot instead: no write). */
  flush(): void;
  /**
   * Runs `hook` at the start of every flush and snapshot: runtime state kept in memory in between (timers) stages
   * its changes there, so it lands with the state it belongs to.
   */
  onFlush(hook: () => void): void;
  close(): Promise<void>;
}

import type { ValueState } from './descriptors.ts';

/** Keyed state of one operator subtask. Handles read the current key at access time, as in Flink. */
export interface KeyedStateBackend {
  setCurrentKey(key: unknown): void;
  readonly currentKey: unknown;
  valueState<T>(name: string): ValueState<T>;
  /** Every key that has some state in this subtask. */
  keys(): Iterable<unknown>;
  close(): void | Promise<void>;
}

import type { KeyedStateBackend } from './backend.ts';
import type { ValueState } from './descriptors.ts';
import { canonicalKey } from './key-groups.ts';

class CompositeKeyToken {
  constructor(readonly key: object) {}
}

/** Keyed state in the JS heap. Not durable: for unit tests and until the LMDB backend is in use. */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  private readonly tables = new Map<string, Map<unknown, unknown>>();
  /**
   * One token per canonical composite key, so that ['a', 1] and the string '["a",1]' stay different map keys; the token
   * keeps the original key for `keys()`. Primitive keys are their own map keys.
   */
  private readonly compositeTokens = new Map<string, CompositeKeyToken>();
  private key: unknown = undefined;
  private mapped: unknown = undefined;

  get currentKey(): unknown {
    return this.key;
  }

  setCurrentKey(key: unknown): void {
    this.key = key;
    this.mapped = this.mapKey(key);
  }

  private mapKey(key: unknown): unknown {
    if (key === null || typeof key !== 'object') return key;
    const canonical = canonicalKey(key);
    let token = this.compositeTokens.get(canonical);
    if (token === undefined) {
      token = new CompositeKeyToken(key);
      this.compositeTokens.set(canonical, token);
    }
    return token;
  }

  valueState<T>(name: string): ValueState<T> {
    let table = this.tables.get(name);
    if (table === undefined) {
      table = new Map();
      this.tables.set(name, table);
    }
    const values = table;
    return {
      value: () => values.get(this.mapped) as T | undefined,
      update: (value: T) => void values.set(this.mapped, value),
      clear: () => void values.delete(this.mapped),
    };
  }

  *keys(): Iterable<unknown> {
    const seen = new Set<unknown>();
    for (const table of this.tables.values()) {
      for (const mapped of table.keys()) {
        if (seen.has(mapped)) continue;
        seen.add(mapped);
        yield mapped instanceof CompositeKeyToken ? mapped.key : mapped;
      }
    }
  }

  close(): void {
    this.tables.clear();
    this.compositeTokens.clear();
  }
}

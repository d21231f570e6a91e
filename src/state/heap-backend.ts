import type { KeyedStateBackend } from './backend.ts';
import type { ValueState } from './descriptors.ts';
import { canonicalKey } from './key-groups.ts';

/** Keyed state in the JS heap. Not durable: for unit tests and until the LMDB backend is in use. */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  private readonly tables = new Map<string, Map<unknown, unknown>>();
  /** Original keys by map key, so composite keys can be handed back as they were. */
  private readonly originalKeys = new Map<unknown, unknown>();
  /** One token object per canonical composite key, so that ['a', 1] and the string '["a",1]' stay different keys. */
  private readonly compositeTokens = new Map<string, object>();
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
      token = Object.freeze({ canonical });
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
      update: (value: T) => {
        values.set(this.mapped, value);
        this.originalKeys.set(this.mapped, this.key);
      },
      clear: () => void values.delete(this.mapped),
    };
  }

  *keys(): Iterable<unknown> {
    for (const [mapped, key] of this.originalKeys) {
      let present = false;
      for (const table of this.tables.values()) if (table.has(mapped)) present = true;
      if (present) yield key;
      else this.originalKeys.delete(mapped);
    }
  }

  close(): void {
    this.tables.clear();
    this.originalKeys.clear();
    this.compositeTokens.clear();
  }
}

import type { KeyedStateBackend, Namespace, RawEntry } from './backend.ts';
import type { AnyStateDescriptor, StateHandleFor } from './descriptors.ts';
import { VOID_NAMESPACE } from './backend.ts';
import { canonicalKey, isCompositeKey, keyGroupFor } from './key-groups.ts';

/** Map key of a user key: primitives as they are, composite keys by canonical form. */
const mapKey = (key: unknown): unknown => (isCompositeKey(key) ? `\u0000${canonicalKey(key)}` : key);

/**
 * Keyed state in the JS heap, for unit tests of operators: same semantics as the LMDB backend, nothing durable.
 * Values live in tables by state name -> namespace -> key.
 */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  private readonly tables = new Map<string, Map<Namespace, Map<unknown, { key: unknown; value: unknown }>>>();
  private readonly raw = new Map<string, Map<string, RawEntry & { keyGroup: number }>>();
  private readonly handles = new Map<AnyStateDescriptor, unknown>();
  private key: unknown = undefined;
  private mapped: unknown = undefined;
  private namespace: Namespace = VOID_NAMESPACE;

  constructor(readonly maxParallelism = 128) {}

  get currentKey(): unknown {
    return this.key;
  }
  get currentKeyGroup(): number {
    return keyGroupFor(this.key, this.maxParallelism);
  }
  get currentNamespace(): Namespace {
    return this.namespace;
  }
  setCurrentKey(key: unknown): void {
    this.key = key;
    this.mapped = mapKey(key);
  }
  setCurrentNamespace(namespace: Namespace): void {
    this.namespace = namespace;
  }

  private cells(name: string): Map<unknown, { key: unknown; value: unknown }> {
    let byNamespace = this.tables.get(name);
    if (byNamespace === undefined) this.tables.set(name, (byNamespace = new Map()));
    let cells = byNamespace.get(this.namespace);
    if (cells === undefined) byNamespace.set(this.namespace, (cells = new Map()));
    return cells;
  }

  private read(name: string): unknown {
    return this.cells(name).get(this.mapped)?.value;
  }
  private write(name: string, value: unknown): void {
    if (value === undefined) this.cells(name).delete(this.mapped);
    else this.cells(name).set(this.mapped, { key: this.key, value });
  }

  getState<D extends AnyStateDescriptor>(descriptor: D): StateHandleFor<D> {
    let handle = this.handles.get(descriptor);
    if (handle === undefined) {
      handle = this.createHandle(descriptor);
      this.handles.set(descriptor, handle);
    }
    return handle as StateHandleFor<D>;
  }

  private createHandle(descriptor: AnyStateDescriptor): unknown {
    const name = descriptor.name;
    const read = (): unknown => this.read(name);
    const write = (value: unknown): void => this.write(name, value);
    switch (descriptor.kind) {
      case 'value':
        return { value: read, update: write, clear: () => write(undefined) };
      case 'list':
        return {
          get: () => [...((read() as unknown[] | undefined) ?? [])],
          add: (value: unknown) => write([...((read() as unknown[] | undefined) ?? []), value]),
          addAll: (values: unknown[]) => write([...((read() as unknown[] | undefined) ?? []), ...values]),
          update: (values: unknown[]) => write(values.length === 0 ? undefined : [...values]),
          clear: () => write(undefined),
        };
      case 'map': {
        const entries = (): Map<unknown, [unknown, unknown]> => (read() as Map<unknown, [unknown, unknown]> | undefined) ?? new Map();
        const change = (fn: (map: Map<unknown, [unknown, unknown]>) => void): void => {
          const map = new Map(entries());
          fn(map);
          write(map.size === 0 ? undefined : map);
        };
        return {
          get: (k: unknown) => entries().get(mapKey(k))?.[1],
          put: (k: unknown, v: unknown) => change((map) => map.set(mapKey(k), [k, v])),
          putAll: (all: Iterable<[unknown, unknown]>) => change((map) => { for (const [k, v] of all) map.set(mapKey(k), [k, v]); }),
          remove: (k: unknown) => change((map) => map.delete(mapKey(k))),
          contains: (k: unknown) => entries().has(mapKey(k)),
          entries: () => [...entries().values()].map(([k, v]) => [k, v]),
          keys: () => [...entries().values()].map(([k]) => k),
          values: () => [...entries().values()].map(([, v]) => v),
          isEmpty: () => entries().size === 0,
          clear: () => write(undefined),
        };
      }
      case 'reducing':
        return {
          get: read,
          add: (value: unknown) => {
            const current = read();
            write(current === undefined ? value : descriptor.reduce(current, value));
          },
          clear: () => write(undefined),
        };
      case 'aggregating': {
        const aggregate = descriptor.aggregate;
        return {
          get: () => {
            const accumulator = read();
            return accumulator === undefined ? undefined : aggregate.getResult(accumulator);
          },
          add: (value: unknown) => {
            const current = read();
            write(aggregate.add(value, current === undefined ? aggregate.createAccumulator() : current));
          },
          clear: () => write(undefined),
        };
      }
    }
  }

  *keys(stateName?: string): Iterable<unknown> {
    const seen = new Set<unknown>();
    for (const [name, byNamespace] of this.tables) {
      if (stateName !== undefined && name !== stateName) continue;
      for (const cells of byNamespace.values()) {
        for (const [mapped, cell] of cells) {
          if (seen.has(mapped)) continue;
          seen.add(mapped);
          yield cell.key;
        }
      }
    }
  }

  private rawTable(table: string): Map<string, RawEntry & { keyGroup: number }> {
    let entries = this.raw.get(table);
    if (entries === undefined) this.raw.set(table, (entries = new Map()));
    return entries;
  }
  putRaw(table: string, keyGroup: number, parts: readonly (string | number)[], value: unknown): void {
    this.rawTable(table).set(JSON.stringify([keyGroup, ...parts]), { keyGroup, parts, value });
  }
  deleteRaw(table: string, keyGroup: number, parts: readonly (string | number)[]): void {
    this.rawTable(table).delete(JSON.stringify([keyGroup, ...parts]));
  }
  *scanRaw(table: string, keyGroup: number): Iterable<RawEntry> {
    for (const entry of this.rawTable(table).values()) if (entry.keyGroup === keyGroup) yield entry;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.tables.clear();
    this.raw.clear();
  }
}

import type { AnyStateDescriptor, StateTtlConfig } from './descriptors.ts';

type Kind = AnyStateDescriptor['kind'];
/** How the catalog is stored: [name, kind, hasTtl] per state. */
export type StoredCatalog = [name: string, kind: Kind, hasTtl: boolean][];

/** The LMDB key of the catalog: it has no key group, so every subtask's restore takes it. */
export const CATALOG_KEY: readonly [string, string] = ['__meta', 'states'];

export function isCatalogKey(key: readonly unknown[]): boolean {
  return key.length === CATALOG_KEY.length && key[0] === CATALOG_KEY[0] && key[1] === CATALOG_KEY[1];
}

/**
 * Which states a backend holds and their layout (kind, TTL or not), persisted with the state: keys() finds states
 * that no descriptor declared yet, and a state declared again with another kind or TTL layout is refused.
 */
export class StateCatalog {
  private readonly states: Map<string, { kind: Kind; hasTtl: boolean }>;
  /** Changed since last written to LMDB. */
  dirty = false;

  constructor(stored: StoredCatalog | undefined) {
    this.states = new Map((stored ?? []).map(([name, kind, hasTtl]) => [name, { kind, hasTtl }]));
  }

  get names(): string[] {
    return [...this.states.keys()];
  }

  has(name: string): boolean {
    return this.states.has(name);
  }

  /** Checks a descriptor against what was stored under its name, and records it if new. */
  declare(descriptor: AnyStateDescriptor): void {
    const { name, kind, ttl } = descriptor;
    const known = this.states.get(name);
    if (known === undefined) {
      this.states.set(name, { kind, hasTtl: ttl !== undefined });
      this.dirty = true;
      return;
    }
    if (known.kind !== kind) throw new TypeError(`state '${name}' was stored as ${article(known.kind)} state, not ${article(kind)} state`);
    if (known.hasTtl !== (ttl !== undefined)) {
      const how = known.hasTtl ? 'with' : 'without';
      throw new TypeError(`state '${name}' was stored ${how} a TTL; its layout cannot change`);
    }
  }

  /** Adds the states of a restored catalog. */
  merge(stored: StoredCatalog): void {
    for (const [name, kind, hasTtl] of stored) {
      if (this.states.has(name)) continue;
      this.states.set(name, { kind, hasTtl });
      this.dirty = true;
    }
  }

  toStored(): StoredCatalog {
    return [...this.states].map(([name, state]) => [name, state.kind, state.hasTtl]);
  }
}

export function sameTtl(a: StateTtlConfig | undefined, b: StateTtlConfig | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.ttlMs === b.ttlMs && (a.updateType ?? 'onCreateAndWrite') === (b.updateType ?? 'onCreateAndWrite');
}

export function article(kind: Kind): string {
  return kind === 'aggregating' ? `an ${kind}` : `a ${kind}`;
}

/** One LMDB entry written since the last snapshot; `value` undefined means deleted. */
export interface ChangedEntry {
  readonly key: unknown[];
  readonly value: unknown;
}

/**
 * What a backend wrote to LMDB since the last snapshot, for incremental checkpoints (docs/architecture.md, decision 7): the last
 * write per key wins. It holds values, so it is bounded: past `limit` keys it gives up, and the next snapshot is full.
 * It starts given up: a backend's first snapshot (fresh or restored) has no earlier one of its own to build on.
 */
export class ChangeLog {
  private changes: Map<string, ChangedEntry> | undefined = undefined;

  constructor(private readonly limit: number) {}

  record(key: unknown[], value: unknown): void {
    if (this.changes === undefined) return;
    this.changes.set(JSON.stringify(key), { key, value });
    if (this.changes.size > this.limit) this.changes = undefined;
  }

  /** The changes since the last take, or undefined when they outgrew the limit; starts the next log. */
  take(): ChangedEntry[] | undefined {
    const taken = this.changes === undefined ? undefined : [...this.changes.values()];
    this.changes = new Map();
    return taken;
  }
}

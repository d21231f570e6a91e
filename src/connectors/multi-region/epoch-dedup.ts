import type { RecordId } from './record-id.ts';

/** Epochs `from..to` of one key, delivered from `cluster`. */
export interface EpochInterval {
  readonly from: number;
  readonly to: number;
  readonly cluster: string;
}

/** The checkpointed form: key `producer|share|topic:partition` -> its intervals, ascending. */
export type EpochDedupState = Readonly<Record<string, readonly EpochInterval[]>>;

/** Intervals kept per key by default: one per switch between clusters, so thousands of failovers. */
export const DEFAULT_MAX_INTERVALS = 1_000;

/**
 * Which cluster's copy of each epoch a multi-cluster source delivers. A multi-cluster sink may publish an epoch's
 * share on two clusters (retried elsewhere after a publish it thought failed); the source reads both. Per
 * (producer, share, topic:partition), the first cluster to deliver any record of an epoch owns it: that cluster's
 * records of the epoch pass, any other cluster's are dropped. Owned epochs are kept as intervals that merge only when
 * consecutive and of the same cluster; past `maxIntervals` per key the oldest are forgotten, and an epoch older
 * than every kept interval counts as new again (a possible duplicate, never a loss).
 */
export class EpochDedup {
  private readonly keys = new Map<string, EpochInterval[]>();
  /** Records dropped per cluster since start (the copies other clusters delivered first). */
  readonly dropped = new Map<string, number>();

  constructor(
    state?: EpochDedupState,
    private readonly maxIntervals = DEFAULT_MAX_INTERVALS,
  ) {
    for (const [key, intervals] of Object.entries(state ?? {})) this.keys.set(key, intervals.map((interval) => ({ ...interval })));
  }

  /** Whether the record with this id, read from `cluster` at `partitionKey` (`topic:partition`), is delivered. */
  accept(id: RecordId, partitionKey: string, cluster: string): boolean {
    const key = `${id.producer}|${id.share}|${partitionKey}`;
    let intervals = this.keys.get(key);
    if (intervals === undefined) {
      intervals = [];
      this.keys.set(key, intervals);
    }
    const at = firstEndingAtOrAfter(intervals, id.epoch);
    const found = intervals[at];
    if (found !== undefined && found.from <= id.epoch) {
      if (found.cluster === cluster) return true;
      this.dropped.set(cluster, (this.dropped.get(cluster) ?? 0) + 1);
      return false;
    }
    this.record(intervals, at, id.epoch, cluster);
    return true;
  }

  /** The intervals of every key, for the checkpoint. */
  snapshot(): EpochDedupState {
    return Object.fromEntries([...this.keys].filter(([, intervals]) => intervals.length > 0).map(([key, intervals]) => [key, intervals.map((interval) => ({ ...interval }))]));
  }

  /** The partition (`topic:partition`) a state key is for, so that a restore keeps only the keys of its own partitions. */
  static partitionOf(stateKey: string): string {
    return stateKey.slice(stateKey.lastIndexOf('|') + 1);
  }

  /** Inserts epoch `epoch` before `intervals[at]`, merging with a neighbour of the same cluster that touches it. */
  private record(intervals: EpochInterval[], at: number, epoch: number, cluster: string): void {
    const before = intervals[at - 1];
    const after = intervals[at];
    const joinsBefore = before !== undefined && before.cluster === cluster && before.to === epoch - 1;
    const joinsAfter = after !== undefined && after.cluster === cluster && after.from === epoch + 1;
    if (joinsBefore && joinsAfter) intervals.splice(at - 1, 2, { from: before.from, to: after.to, cluster });
    else if (joinsBefore) intervals[at - 1] = { from: before.from, to: epoch, cluster };
    else if (joinsAfter) intervals[at] = { from: epoch, to: after.to, cluster };
    else intervals.splice(at, 0, { from: epoch, to: epoch, cluster });
    if (intervals.length > this.maxIntervals) intervals.splice(0, intervals.length - this.maxIntervals);
  }
}

/** The index of the first interval whose end is at or after `epoch` (intervals are ascending and disjoint). */
function firstEndingAtOrAfter(intervals: readonly EpochInterval[], epoch: number): number {
  let low = 0;
  let high = intervals.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (intervals[middle]!.to < epoch) low = middle + 1;
    else high = middle;
  }
  return low;
}

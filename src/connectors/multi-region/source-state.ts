import { ownerOf } from '../kafka/source.ts';
import { EpochDedup, type EpochDedupState } from './epoch-dedup.ts';

/** A removed cluster's positions, kept so that re-adding it resumes there (dropped after the retention). */
export interface RetainedPositions {
  /** When the metadata change that removed it was applied (ms since the epoch). */
  readonly removedAt: number;
  /** Next offset per `topic:partition`. */
  readonly offsets: Readonly<Record<string, number>>;
}

/** One multi-cluster reader's checkpointed state. */
export interface MultiClusterSourceState {
  /** Per cluster read now: the next offset of each of this subtask's partitions (`topic:partition`). */
  readonly clusters: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Per removed cluster: its positions and when it was removed. */
  readonly retained: Readonly<Record<string, RetainedPositions>>;
  readonly dedup: EpochDedupState;
}

/** What a new reader takes of every old reader's state: the positions and dedup keys of the partitions it owns now. */
export interface RestoredShare {
  readonly clusters: Map<string, Map<string, number>>;
  readonly retained: Map<string, { removedAt: number; offsets: Map<string, number> }>;
  readonly dedup: EpochDedupState;
}

/** Restore at any parallelism: each new reader takes the partitions `ownerOf` gives it, from whichever old reader had them. */
export function takeRestoredShare(restored: readonly unknown[], subtask: number, parallelism: number): RestoredShare {
  const owns = (key: string): boolean => {
    const colon = key.lastIndexOf(':');
    return ownerOf({ topic: key.slice(0, colon), partition: Number(key.slice(colon + 1)) }, parallelism) === subtask;
  };
  const mine = (offsets: Readonly<Record<string, number>>, into: Map<string, number>): Map<string, number> => {
    for (const [key, offset] of Object.entries(offsets)) if (owns(key)) into.set(key, offset);
    return into;
  };
  const clusters = new Map<string, Map<string, number>>();
  const retained = new Map<string, { removedAt: number; offsets: Map<string, number> }>();
  const dedup: Record<string, EpochDedupState[string]> = {};
  for (const state of restored as MultiClusterSourceState[]) {
    for (const [cluster, offsets] of Object.entries(state.clusters)) clusters.set(cluster, mine(offsets, clusters.get(cluster) ?? new Map()));
    for (const [cluster, kept] of Object.entries(state.retained)) {
      const entry = retained.get(cluster) ?? { removedAt: kept.removedAt, offsets: new Map<string, number>() };
      entry.removedAt = Math.max(entry.removedAt, kept.removedAt);
      retained.set(cluster, { removedAt: entry.removedAt, offsets: mine(kept.offsets, entry.offsets) });
    }
    for (const [key, intervals] of Object.entries(state.dedup)) if (owns(EpochDedup.partitionOf(key))) dedup[key] = intervals;
  }
  return { clusters, retained, dedup };
}

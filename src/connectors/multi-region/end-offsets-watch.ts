import type { LagAtCheckpoint } from './cluster-health.ts';

interface Measurement {
  readonly checkpointId: number;
  readonly ends: ReadonlyMap<string, number>;
  readonly measuredAt: number;
}

/**
 * Follows the end offsets of one source subtask's partitions of one cluster from one completed checkpoint to the next,
 * so that its lag report can say since when nothing was written there: whether the cluster's producers have moved away
 * is the half of a migration's drain proof that zero lag alone cannot give (a producer still writing makes a zero lag
 * stale a moment later).
 */
export class EndOffsetsWatch {
  private previous: Measurement | undefined;
  private unchangedSince: { checkpointId: number; measuredAt: number } | undefined;

  /**
   * The lag report of `checkpointId`, whose positions are `positions`, from the end offsets measured after it
   * completed (`ends` may hold other partitions: only the positions' partitions count). Undefined for a checkpoint
   * older than the last one measured (two completions whose calls overlapped): the newer report stands.
   */
  measure(checkpointId: number, positions: ReadonlyMap<string, number>, ends: ReadonlyMap<string, number>, measuredAt: number): LagAtCheckpoint | undefined {
    if (this.previous !== undefined && checkpointId <= this.previous.checkpointId) return undefined;
    const own = new Map<string, number>();
    let lagRecords = 0;
    for (const [key, position] of positions) {
      const end = ends.get(key) ?? position;
      own.set(key, end);
      lagRecords += Math.max(0, end - position);
    }
    const previous = this.previous;
    const unchanged = previous !== undefined && sameEnds(previous.ends, own);
    if (!unchanged || this.unchangedSince === undefined) this.unchangedSince = { checkpointId, measuredAt };
    this.previous = { checkpointId, ends: own, measuredAt };
    return {
      checkpointId,
      lagRecords,
      partitions: positions.size,
      endOffsets: sum(own),
      measuredAt,
      endsUnchangedSince: this.unchangedSince,
      ...(previous === undefined ? {} : { writtenSince: { checkpointId: previous.checkpointId, records: written(previous.ends, own) } }),
    };
  }
}

function sameEnds(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, end] of a) if (b.get(key) !== end) return false;
  return true;
}

/** Records added to the partitions from `before` to `after` (a partition new in `after` counts from 0). */
function written(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): number {
  let records = 0;
  for (const [key, end] of after) records += Math.max(0, end - (before.get(key) ?? 0));
  return records;
}

function sum(ends: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const end of ends.values()) total += end;
  return total;
}

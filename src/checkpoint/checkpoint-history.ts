/** A checkpoint's or savepoint's row in the job's checkpoint history. */
export interface CheckpointHistoryEntry {
  readonly checkpointId: number;
  readonly kind: 'checkpoint' | 'savepoint';
  readonly status: 'in_progress' | 'completed' | 'failed';
  /** Wall-clock ms when it was triggered (as its metadata records it). */
  readonly triggeredAt: number;
  /** From the trigger to completion or failure; undefined while in progress. */
  readonly durationMs: number | undefined;
  /** Bytes of every state file its metadata names (shared incremental files included): what a restore reads. */
  readonly sizeBytes: number | undefined;
  /** The slowest subtask's barrier alignment (first barrier to the last), 0 where no subtask had to align. */
  readonly alignmentMs: number | undefined;
  /** Where it is: `<root>/<jobId>/chk-<id>` (completed only). */
  readonly path: string | undefined;
  readonly failureReason: string | undefined;
}

/** What a completed checkpoint brings to the history. */
export interface CheckpointCompletion {
  readonly sizeBytes: number;
  readonly alignmentMs: number;
  readonly path: string;
  /** State bytes per operator id (its keyed files and its own): the state size metric reads it. */
  readonly bytesByOperator: Readonly<Record<string, number>>;
}

/** The checkpoint restored at the start of an attempt. */
export interface RestoredCheckpoint {
  readonly checkpointId: number;
  readonly kind: 'checkpoint' | 'savepoint';
  readonly path: string;
  /** When it was restored (ms since the epoch). */
  readonly restoredAt: number;
}

/** Rows kept; counts cover the whole run. */
export const CHECKPOINT_HISTORY_SIZE = 64;

/**
 * The job's checkpoint statistics for its whole run, across attempts (Flink's checkpoint history): counts, the
 * latest `size` rows, the latest completed checkpoint and the one restored. The checkpoint coordinator of each
 * attempt writes it; the job's observations read it. Pure and driven by the caller's clock.
 */
export class CheckpointHistory {
  private readonly rows = new Map<number, CheckpointHistoryEntry>();
  private completedCount = 0;
  private failedCount = 0;
  private latest: CheckpointHistoryEntry | undefined;
  private latestBytes: Readonly<Record<string, number>> = {};
  private restoredPoint: RestoredCheckpoint | undefined;

  constructor(private readonly size: number = CHECKPOINT_HISTORY_SIZE) {}

  triggered(checkpointId: number, kind: 'checkpoint' | 'savepoint', triggeredAt: number): void {
    this.put({ checkpointId, kind, status: 'in_progress', triggeredAt, durationMs: undefined, sizeBytes: undefined, alignmentMs: undefined, path: undefined, failureReason: undefined });
  }

  completed(checkpointId: number, at: number, completion: CheckpointCompletion): void {
    const row = this.rows.get(checkpointId);
    if (row === undefined || row.status !== 'in_progress') return;
    const { sizeBytes, alignmentMs, path } = completion;
    const entry: CheckpointHistoryEntry = { ...row, status: 'completed', durationMs: Math.max(0, at - row.triggeredAt), sizeBytes, alignmentMs, path };
    this.put(entry);
    this.completedCount++;
    if (this.latest === undefined || checkpointId > this.latest.checkpointId) {
      this.latest = entry;
      if (entry.kind === 'checkpoint') this.latestBytes = completion.bytesByOperator;
    }
  }

  failed(checkpointId: number, at: number, reason: string): void {
    const row = this.rows.get(checkpointId);
    if (row === undefined || row.status !== 'in_progress') return;
    this.put({ ...row, status: 'failed', durationMs: Math.max(0, at - row.triggeredAt), failureReason: reason });
    this.failedCount++;
  }

  restored(point: RestoredCheckpoint): void {
    this.restoredPoint = point;
  }

  get counts(): { readonly completed: number; readonly failed: number; readonly inProgress: number } {
    let inProgress = 0;
    for (const row of this.rows.values()) if (row.status === 'in_progress') inProgress++;
    return { completed: this.completedCount, failed: this.failedCount, inProgress };
  }

  /** The rows kept, oldest first. */
  get history(): CheckpointHistoryEntry[] {
    return [...this.rows.values()].sort((a, b) => a.checkpointId - b.checkpointId);
  }

  get latestCompleted(): CheckpointHistoryEntry | undefined {
    return this.latest;
  }

  /** State bytes per operator id in the latest completed checkpoint (savepoints aside). */
  get stateBytesByOperator(): Readonly<Record<string, number>> {
    return this.latestBytes;
  }

  get restore(): RestoredCheckpoint | undefined {
    return this.restoredPoint;
  }

  private put(entry: CheckpointHistoryEntry): void {
    this.rows.set(entry.checkpointId, entry);
    if (this.rows.size <= this.size) return;
    // The oldest settled rows go first; one in progress stays until it settles.
    for (const row of this.history) {
      if (this.rows.size <= this.size) break;
      if (row.status !== 'in_progress') this.rows.delete(row.checkpointId);
    }
  }
}

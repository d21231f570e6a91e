/** When checkpoints run (docs/architecture.md, decision 7; Flink's CheckpointConfig names). */
export interface CheckpointSettings {
  /** From one checkpoint's trigger to the next; Infinity for none but those requested (savepoints, the final one). */
  readonly intervalMs: number;
  /** A checkpoint not complete this long after its trigger is aborted. */
  readonly timeoutMs: number;
  /** At least this long from one checkpoint's end (complete or aborted) to the next trigger. */
  readonly minPauseMs: number;
}

export const DEFAULT_CHECKPOINT_TIMEOUT_MS = 10 * 60_000;

export type CheckpointStatus = 'pending' | 'completed' | 'aborted';

/** One row of the scheduler's table. */
export interface CheckpointRecord {
  readonly checkpointId: number;
  readonly kind: 'checkpoint' | 'savepoint';
  readonly triggeredAt: number;
  status: CheckpointStatus;
  readonly acknowledged: Set<string>;
  endedAt?: number;
  reason?: string;
}

export type SchedulerAction =
  | { readonly kind: 'trigger'; readonly checkpointId: number; readonly savepoint: boolean }
  | { readonly kind: 'complete'; readonly checkpointId: number; readonly savepoint: boolean }
  | { readonly kind: 'abort'; readonly checkpointId: number; readonly reason: string };

/** Settled rows kept in the table for inspection (metrics, logs, tests); older ones are dropped. */
const SETTLED_ROWS_KEPT = 32;

/**
 * The checkpoint coordinator's state table, pure and driven by the caller's clock: it decides when to trigger,
 * when a checkpoint completes (every task acknowledged), and when one is aborted (declined, timed out). One
 * checkpoint at a time; ids increase and are never reused, also across restarts (`lastCheckpointId`).
 */
export class CheckpointScheduler {
  private readonly rows = new Map<number, CheckpointRecord>();
  private nextId: number;
  private pending: CheckpointRecord | undefined = undefined;
  private lastTriggerAt: number;
  private lastEndAt = Number.NEGATIVE_INFINITY;
  private requested: 'checkpoint' | 'savepoint' | undefined = undefined;

  constructor(
    private readonly settings: CheckpointSettings,
    /** Every task that must acknowledge a checkpoint before it is complete. */
    private readonly tasks: readonly string[],
    now: number,
    lastCheckpointId = 0,
  ) {
    for (const [name, value] of Object.entries(settings)) {
      if (!(value >= 0) || (name !== 'intervalMs' && !Number.isFinite(value))) {
        throw new RangeError(`checkpoint ${name} must be a non-negative number of ms, got ${value}`);
      }
    }
    if (settings.intervalMs <= 0 || settings.timeoutMs <= 0) throw new RangeError('checkpoint interval and timeout must be positive');
    if (tasks.length === 0) throw new RangeError('a checkpoint needs at least one task to acknowledge it');
    this.nextId = lastCheckpointId + 1;
    // The first checkpoint comes one interval after the start, as in Flink.
    this.lastTriggerAt = now;
  }

  get table(): ReadonlyMap<number, Readonly<CheckpointRecord>> {
    return this.rows;
  }

  get pendingCheckpoint(): number | undefined {
    return this.pending?.checkpointId;
  }

  /** Asks for a savepoint: it is triggered as soon as no checkpoint is pending, whatever the interval. */
  requestSavepoint(): void {
    this.requested = 'savepoint';
  }

  /** Asks for a checkpoint as soon as none is pending (the final one of a finished job); a savepoint request wins. */
  requestCheckpoint(): void {
    this.requested ??= 'checkpoint';
  }

  /** The time at which `poll` has something to do: the pending checkpoint's deadline, or the next trigger. */
  nextDueAt(): number {
    if (this.pending !== undefined) return this.pending.triggeredAt + this.settings.timeoutMs;
    if (this.requested !== undefined) return Number.NEGATIVE_INFINITY;
    return Math.max(this.lastTriggerAt + this.settings.intervalMs, this.lastEndAt + this.settings.minPauseMs);
  }

  poll(now: number): SchedulerAction[] {
    const actions: SchedulerAction[] = [];
    if (this.pending !== undefined && now >= this.pending.triggeredAt + this.settings.timeoutMs) {
      actions.push(this.settle(this.pending, 'aborted', now, `timed out after ${this.settings.timeoutMs} ms`));
    }
    if (this.pending === undefined && now >= this.nextDueAt()) actions.push(this.trigger(now));
    return actions;
  }

  acknowledge(checkpointId: number, task: string, now: number): SchedulerAction[] {
    const row = this.openRow(checkpointId, task);
    if (row === undefined) return [];
    row.acknowledged.add(task);
    return row.acknowledged.size === this.tasks.length ? [this.settle(row, 'completed', now)] : [];
  }

  /** A task could not take its snapshot (or failed): the checkpoint is aborted. */
  decline(checkpointId: number, task: string, reason: string, now: number): SchedulerAction[] {
    const row = this.openRow(checkpointId, task);
    return row === undefined ? [] : [this.settle(row, 'aborted', now, `declined by ${task}: ${reason}`)];
  }

  /** The job failed or stops: the pending checkpoint will not complete. */
  abortPending(reason: string, now: number): SchedulerAction[] {
    return this.pending === undefined ? [] : [this.settle(this.pending, 'aborted', now, reason)];
  }

  private trigger(now: number): SchedulerAction {
    const savepoint = this.requested === 'savepoint';
    this.requested = undefined;
    const row: CheckpointRecord = {
      checkpointId: this.nextId++,
      kind: savepoint ? 'savepoint' : 'checkpoint',
      triggeredAt: now,
      status: 'pending',
      acknowledged: new Set(),
    };
    this.rows.set(row.checkpointId, row);
    this.pending = row;
    this.lastTriggerAt = now;
    return { kind: 'trigger', checkpointId: row.checkpointId, savepoint };
  }

  /** The pending row a task may still answer for; late answers for settled checkpoints are ignored. */
  private openRow(checkpointId: number, task: string): CheckpointRecord | undefined {
    if (!this.tasks.includes(task)) throw new Error(`unknown task '${task}' answered checkpoint ${checkpointId}`);
    return this.pending?.checkpointId === checkpointId ? this.pending : undefined;
  }

  private settle(row: CheckpointRecord, status: 'completed' | 'aborted', now: number, reason?: string): SchedulerAction {
    row.status = status;
    row.endedAt = now;
    if (reason !== undefined) row.reason = reason;
    this.pending = undefined;
    this.lastEndAt = now;
    for (const id of this.rows.keys()) {
      if (this.rows.size <= SETTLED_ROWS_KEPT) break;
      this.rows.delete(id);
    }
    return status === 'completed'
      ? { kind: 'complete', checkpointId: row.checkpointId, savepoint: row.kind === 'savepoint' }
      : { kind: 'abort', checkpointId: row.checkpointId, reason: reason! };
  }
}

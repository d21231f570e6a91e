import type { RestoredFileReader, SnapshotFiles } from '../core/snapshot-files.ts';
import type { RuntimeContext } from '../core/runtime-context.ts';

/** One subtask's writer. `write` is on the hot path; `flush` runs after each input batch and may be async. */
export interface SinkWriter<T> {
  open?(): void | Promise<void>;
  write(record: T): void;
  flush?(): void | Promise<void>;
  /** At a checkpoint barrier: whatever was written before it is durable once this resolves (at-least-once sinks). */
  prepareSnapshot?(checkpointId: number): Promise<void>;
  /** All input has ended: make everything written durable. */
  finish?(): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** What a transactional sink learns of its job beyond RuntimeContext: names for its transactions, the checkpoint pace. */
export interface SinkContext extends RuntimeContext {
  /** Stable across runs (the uid, or one derived from the graph position). */
  readonly operatorId: string;
  readonly jobId: string;
  /** Names this run's output: chosen at the job's first start and kept in its checkpoints, so that a restore continues the run. */
  readonly runId: string;
  /** This start of the job's process (unique per instance, ordered by start time): names what only this instance may touch. */
  readonly instanceId: string;
  /** The periodic checkpoint interval; undefined without periodic checkpoints. */
  readonly checkpointIntervalMs: number | undefined;
  /** A directory of this sink subtask's own in this attempt, for spill files: created on first use, removed with the attempt (absent outside a job: nothing spills). */
  readonly scratchDir?: string;
  /** The checkpoint this attempt restored; `readFile` reads a file its committables name. */
  readonly restored?: { readonly checkpointId: number; readonly readFile: RestoredFileReader } | undefined;
}

export interface Sink<T> {
  readonly name: string;
  createWriter(ctx: SinkContext): SinkWriter<T>;
}

/**
 * A writer whose output becomes visible only when a checkpoint completes (two-phase commit, as Flink's
 * TwoPhaseCommittingSink). At each barrier it makes what it wrote since the previous one durable but invisible, and
 * hands back what publishing it takes; the runtime stores that with the checkpoint and gives it to the committer once
 * the checkpoint completes, again after a restore (so commits must be idempotent).
 */
export interface TransactionalSinkWriter<T, C> extends SinkWriter<T> {
  /** `files`: where the checkpoint takes large state (absent when the job has no checkpoints). */
  prepareCommit(checkpointId: number, files?: SnapshotFiles): Promise<C[]>;
  /**
   * The committables, prepared at earlier barriers and not yet published, as checkpoint `checkpointId` must store them:
   * a writer whose committables name checkpoint files writes them again into `files`, since an aborted checkpoint
   * deletes its own. Without it, committables are stored as they are.
   */
  snapshotPending?(committables: readonly C[], files: SnapshotFiles): Promise<C[]>;
  /** These committables are published: what only they needed may go. */
  published?(committables: readonly C[]): Promise<void>;
}

export interface Committer<C> {
  /** Before any commit, the restored checkpoint's included: take over what earlier runs held (Kafka transactional ids). */
  open?(): Promise<void>;
  /** Publishes; idempotent, since a crash between completion and publish makes it run again after the restore. */
  commit(committables: readonly C[]): Promise<void>;
  /** Throws away what a checkpoint that will never complete prepared. */
  abort(committables: readonly C[]): Promise<void>;
  /**
   * Checkpoint n completed in this instance, after its commit: this instance owns the job's checkpoints now, so
   * instances started before it can publish nothing more, and what they left unpublished may be removed.
   */
  checkpointCompleted?(checkpointId: number): Promise<void>;
  /** Releases connections; the committer is not used after. */
  close?(): Promise<void>;
}

export interface TransactionalSink<T, C> extends Sink<T> {
  /**
   * `replayFrom`: the checkpoint this start replays from (0 or absent: from the beginning); the writer clears what earlier
   * attempts wrote after it (those records are written again). Committables of that checkpoint are the committer's.
   */
  createWriter(ctx: SinkContext, replayFrom?: number): TransactionalSinkWriter<T, C>;
  /** `restoredFrom`: the checkpoint this start restored (0 or absent: none). */
  createCommitter(ctx: SinkContext, restoredFrom?: number): Committer<C>;
}

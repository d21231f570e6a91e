import type { RestoredFileReader, SnapshotFiles } from '../core/snapshot-files.ts';
import type { RuntimeContext } from '../core/runtime-context.ts';
import type { KeyedStateBackend } from '../state/backend.ts';
import type { ProcessingTimeService } from '../state/timers.ts';

export type { ProcessingTimeService };

/** Where an operator sends what it emits: the main output, side outputs by tag id, and watermarks. */
export interface OperatorOutput<T> {
  collect(record: T): void;
  emitSide(tagId: string, record: unknown): void;
  /** Forwards event-time progress to every downstream operator (main and side outputs). */
  emitWatermark(timestamp: number): void;
}

/**
 * The event timestamp of the record being processed, shared by the operators of a subtask: set by the source (or the
 * input) before a record enters the chain, read by event-time operators, and sent along with every emitted record.
 * An operator that emits a record with another time (a window result) sets it first.
 */
export interface RecordTime {
  timestamp: number;
}

/** Processing-time callbacks, run by the subtask between batches (never in the middle of one). */

export interface OperatorContext extends RuntimeContext {
  /** Unique, stable operator id (the uid, or one derived from the graph position). */
  readonly operatorId: string;
  /** Present for operators after keyBy. */
  readonly keyedState: KeyedStateBackend | undefined;
  readonly time: RecordTime;
  readonly processingTime: ProcessingTimeService;
  /** Wraps a throw from user code so the failure names this operator and the record. */
  fail(cause: unknown, record: unknown): Error;
  /**
   * The checkpoint this attempt restored and this subtask's share of the operator's own states in it; `readFile` reads
   * a file those states name (see SnapshotFiles).
   */
  readonly restored: { readonly checkpointId: number; readonly states: readonly unknown[]; readonly readFile: RestoredFileReader } | undefined;
  /** A directory of this operator subtask's own in this attempt, for spill files: created on first use, removed with the attempt. */
  readonly scratchDir: string;
  /** Periodic checkpoints are on: what a sink prepares is published when one completes, the last at the end. */
  readonly checkpointing: boolean;
  /** The job id (checkpoints live under it; transactional sinks name their Kafka transactional ids by it). */
  readonly jobId: string;
  /** Names this run's output: chosen at the job's first start and kept in its checkpoints, so that a restore continues the run. */
  readonly runId: string;
  /** This start of the job's process (unique per instance, ordered by start time): names what only this instance may touch. */
  readonly instanceId: string;
  /** The periodic checkpoint interval; undefined without periodic checkpoints. */
  readonly checkpointIntervalMs: number | undefined;
}

/**
 * A physical operator. Only `process` is required; the hooks default to no-ops.
 * `process` runs on the hot path: no allocation or await there beyond what the user function does.
 */
export interface StreamOperator<I = unknown, O = unknown> {
  open?(ctx: OperatorContext, output: OperatorOutput<O>): void | Promise<void>;
  /** `input` is the logical input index (0, or 1 for the second input of a two-input operator). */
  process(record: I, input: number): void;
  /**
   * Event time advanced to `timestamp` on all inputs. An operator that implements this fires its event-time work and
   * then forwards the watermark itself; without it, the chain forwards the watermark unchanged.
   */
  processWatermark?(timestamp: number): void;
  /** After each input batch: sinks flush here; a returned promise holds back further input (backpressure). */
  endOfBatch?(): void | Promise<void>;
  /** All input has ended: emit what is held back. */
  finish?(): void | Promise<void>;
  close?(): void | Promise<void>;
  /**
   * Checkpoint barrier n reached this operator: return its own state (plain data) for the checkpoint. The subtask
   * waits for the promise before it processes the records after the barrier. Keyed state is snapshotted for it.
   * State too large for the checkpoint's metadata goes into `files`, which the state then names.
   */
  snapshotState?(checkpointId: number, files: SnapshotFiles): unknown | Promise<unknown>;
  /** Checkpoint n completed; it covers every earlier one (a lost notice is covered by the next). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  /** Checkpoint n will not complete. What it prepared must not be lost: the next checkpoint covers it. */
  notifyCheckpointAborted?(checkpointId: number): void | Promise<void>;
  /**
   * Late records this operator dropped because no side output takes them (Flink's numLateRecordsDropped). Read once
   * per batch into the `weir_late_records_dropped_total` metric; the job warns about them at its end.
   */
  readonly lateRecordsDropped?: number;
}

export type OperatorFactory = () => StreamOperator;

import type { MessagePort } from 'node:worker_threads';
import type { Barrier, CheckpointTarget, RestorePoint, SubtaskSnapshot } from '../checkpoint/snapshot-state.ts';
import type { CheckpointNotice } from '../checkpoint/checkpointed-plan.ts';
import type { SerializedError } from '../core/serialized-error.ts';

/**
 * Control events that travel in order with the records of a channel; every consumer switches on `t`.
 * A watermark says no record older than `timestamp` follows on this channel; `idle` takes the channel out of (or back
 * into) the watermark minimum of its receiver. A barrier divides the records before checkpoint n from those after it.
 */
export type StreamEvent =
  | { readonly t: 'end' }
  | Barrier
  | { readonly t: 'watermark'; readonly timestamp: number }
  | { readonly t: 'idle'; readonly idle: boolean };

/** What an input channel yields: a batch of records with their event timestamps (parallel arrays), or an event. */
export type ChannelItem =
  | { readonly t: 'records'; readonly records: unknown[]; readonly timestamps: ArrayLike<number> }
  | StreamEvent;

/** What crosses a MessagePort between threads: encoded batches, events, and credits flowing back. */
export type WireMessage =
  | { readonly t: 'batch'; readonly bytes: Uint8Array; readonly timestamps: Float64Array; readonly count: number }
  | { readonly t: 'credit' }
  | StreamEvent;

/** A failure, as plain data that survives postMessage. */
export interface FailureReport {
  readonly message: string;
  /** Restarting cannot help (see WeirError.fatal): the job fails at once. */
  readonly fatal?: boolean;
  readonly operator: string | undefined;
  readonly stack: string | undefined;
  /** The error itself with its causes (the user's error and stack frames), revived on the main thread. */
  readonly error?: SerializedError;
}

export type WorkerToCoordinator =
  /** CollectSink records; `afterCheckpoint`: the last barrier the sink passed in this attempt (none yet: undefined). */
  | { readonly type: 'collect'; readonly sink: string; readonly subtask: number; readonly records: unknown[]; readonly afterCheckpoint: number | undefined }
  | { readonly type: 'failed'; readonly failure: FailureReport }
  /** Every subtask of the worker is open; records may flow. */
  | { readonly type: 'started'; readonly threadId: number }
  /** One subtask read all its input and waits, with its state, for the final checkpoint or its release. */
  | { readonly type: 'subtask-finished'; readonly task: string }
  | { readonly type: 'acknowledge'; readonly checkpointId: number; readonly task: string; readonly snapshot: SubtaskSnapshot }
  | { readonly type: 'decline'; readonly checkpointId: number; readonly task: string; readonly reason: string }
  /** Connector statuses that changed since the worker's last message of this type (see StatusOutbox). */
  | { readonly type: 'status'; readonly reports: readonly StatusReport[] }
  | { readonly type: 'finished' };

/** The latest status of one kind of one operator subtask (RuntimeContext.reportStatus), as JSON text. */
export interface StatusReport {
  readonly operator: string;
  readonly operatorId: string;
  readonly subtask: number;
  readonly kind: string;
  readonly json: string;
}

export type CoordinatorToWorker =
  | { readonly type: 'cancel' }
  | CheckpointNotice
  /** Every subtask finished and, with checkpointing on, the final checkpoint is complete: close and end. */
  | { readonly type: 'release' }
  /** Stop after the notices sent before this one (a savepoint's completion): the job stops with a savepoint. */
  | { readonly type: 'stop' };

/** The task a worker thread runs for the whole life of a job attempt. */
export interface WorkerTask {
  readonly workerIndex: number;
  readonly jobModule: string;
  readonly params: unknown;
  readonly defaultParallelism: number;
  readonly threads: number;
  readonly fingerprint: string;
  readonly stats: SharedArrayBuffer;
  /** The attempt's SourceWatermarkBoard: source subtasks' watermarks for watermark alignment. */
  readonly sourceWatermarks: SharedArrayBuffer;
  readonly control: MessagePort;
  /** Ports of the channels that cross threads, by channel key; in-thread channels are built by the worker. */
  readonly ports: Record<string, MessagePort>;
  readonly logLevel: string;
  /** The attempt's directory for keyed state. */
  readonly stateDir: string;
  /** Where checkpoints go (savepoints may name another place in their barrier). */
  readonly checkpoints: CheckpointTarget;
  /** Names the run's output (see SinkContext). */
  readonly runId: string;
  readonly instanceId: string;
  /** The checkpoint this attempt starts from, if any. */
  readonly restore: RestorePoint | undefined;
  /** The job has periodic checkpoints: finished subtasks wait for the final one, sinks publish only through them. */
  readonly checkpointing: boolean;
}

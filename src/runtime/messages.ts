import type { MessagePort } from 'node:worker_threads';

/**
 * Control events that travel in order with the records of a channel; every consumer switches on `t`.
 * A watermark says no record older than `timestamp` follows on this channel; `idle` takes the channel out of (or back
 * into) the watermark minimum of its receiver. Checkpoint barriers join this union.
 */
export type StreamEvent =
  | { readonly t: 'end' }
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
  readonly operator: string | undefined;
  readonly stack: string | undefined;
}

export type WorkerToCoordinator =
  | { readonly type: 'collect'; readonly sink: string; readonly subtask: number; readonly records: unknown[] }
  | { readonly type: 'failed'; readonly failure: FailureReport }
  /** Every subtask of the worker is open; records may flow. */
  | { readonly type: 'started'; readonly threadId: number }
  | { readonly type: 'finished' };

export type CoordinatorToWorker = { readonly type: 'cancel' };

/** The task a worker thread runs for the whole life of a job attempt. */
export interface WorkerTask {
  readonly workerIndex: number;
  readonly jobModule: string;
  readonly params: unknown;
  readonly defaultParallelism: number;
  readonly threads: number;
  readonly fingerprint: string;
  readonly stats: SharedArrayBuffer;
  readonly control: MessagePort;
  /** Ports of the channels that cross threads, by channel key; in-thread channels are built by the worker. */
  readonly ports: Record<string, MessagePort>;
  readonly logLevel: string;
  /** The attempt's directory for keyed state. */
  readonly stateDir: string;
}

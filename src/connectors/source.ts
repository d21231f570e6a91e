import type { RuntimeContext } from '../api/functions.ts';

/** What a reader's poll reports: more to read now, finished, or nothing until `waitMs` has passed. */
export type PollResult = 'more' | 'end' | { readonly waitMs: number };

/** Where a source reader emits its records, with the source's own timestamp when it has one (Kafka's). */
export interface SourceOutput<T> {
  collect(record: T, sourceTimestamp?: number): void;
}

/**
 * What a reader polls into: the same object at every poll, so a reader may keep the outputs `forSplit` returns.
 * Readers that read several splits (files, partitions) emit each split's records through `forSplit`, so that each
 * split gets its own watermarks, and release a split when it is done.
 */
export interface ReaderOutput<T> extends SourceOutput<T> {
  forSplit(splitId: string): SourceOutput<T>;
  releaseSplit(splitId: string): void;
}

/** One subtask's reader. `poll` emits at most `max` records per call, so the runtime can check backpressure between calls. */
export interface SourceReader<T> {
  open?(): void | Promise<void>;
  poll(output: ReaderOutput<T>, max: number): PollResult | Promise<PollResult>;
  /**
   * The reader's position, taken between polls at a checkpoint barrier: what it has emitted so far is before the
   * barrier, the rest after. Plain data (it is stored with the checkpoint).
   */
  snapshotState?(checkpointId: number): unknown;
  /** Checkpoint n completed (covering every earlier one): the reader may tell its system (Kafka offsets). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface Source<T> {
  readonly boundedness: 'bounded' | 'unbounded';
  /** A name for the graph and metrics. */
  readonly name: string;
  /** Sources that cannot split their input (a list of elements) cap their parallelism here. */
  readonly maxParallelism?: number;
  /**
   * A reader for subtask `ctx.subtaskIndex`. On restore, `restored` holds the snapshots of every reader of the
   * checkpoint (whatever the parallelism was then); each new reader takes its share, so no input is read twice or lost.
   */
  createReader(ctx: RuntimeContext, restored?: readonly unknown[]): SourceReader<T>;
}

import type { DeadLetter } from './dead-letter.ts';
import { WeirError, type WeirErrorCode } from '../core/errors.ts';
import type { RuntimeContext } from '../core/runtime-context.ts';

/** What a reader's poll reports: more to read now, finished, or nothing until `waitMs` has passed. */
export type PollResult = 'more' | 'end' | { readonly waitMs: number };

/** Where a source reader emits its records, with the source's own timestamp when it has one (Kafka's). */
export interface SourceOutput<T> {
  /** Throws BadRecordError when the record itself is at fault (its timestamp), before anything was emitted. */
  collect(record: T, sourceTimestamp?: number): void;
}

/** The record, not the job, is at fault (the timestamp assigner threw or returned no number): its reader hands it to rejectRecord with its place. */
export class BadRecordError extends WeirError {
  static override readonly defaultCode: WeirErrorCode = 'WEIR_BAD_RECORD';
  override name = 'BadRecordError';
}

/**
 * What a reader polls into: the same object at every poll, so a reader may keep the outputs `forSplit` returns.
 * Readers that read several splits (files, partitions) emit each split's records through `forSplit`, so that each
 * split gets its own watermarks, and release a split when it is done.
 */
export interface ReaderOutput<T> extends SourceOutput<T> {
  forSplit(splitId: string): SourceOutput<T>;
  releaseSplit(splitId: string): void;
  /**
   * Marks a split idle now (its system is unreachable: it stops holding the watermark back at once, not after the
   * strategy's idle timeout), or active again. Records it emits later make it active too.
   */
  markSplitIdle?(splitId: string, idle: boolean): void;
  /**
   * Present only when the job reads the source's DEAD_LETTERS side output: a reader hands it records it cannot read
   * and goes on. Without it, a bad record fails the job with its position (docs/architecture.md, decision 10: never a silent drop).
   */
  readonly deadLetters?: (letter: DeadLetter) => void;
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
   * How many records a bounded source emits in all, when it knows (a list of elements, a generator with a count):
   * the progress line `weir run` draws on a terminal shows the share read and an ETA from it.
   */
  readonly expectedRecords?: number;
  /**
   * A reader for subtask `ctx.subtaskIndex`. On restore, `restored` holds the snapshots of every reader of the
   * checkpoint (whatever the parallelism was then); each new reader takes its share, so no input is read twice or lost.
   */
  createReader(ctx: RuntimeContext, restored?: readonly unknown[]): SourceReader<T>;
  /**
   * Asked on the coordinator before a start that restores no checkpoint or savepoint: one sentence on what an earlier
   * run of this job left where the source starts (Kafka offsets its checkpoints committed), or undefined. A start
   * that finds any is refused, since the source would continue that run's input with empty state, unless the run
   * allows a fresh start.
   */
  earlierRun?(): Promise<string | undefined>;
}

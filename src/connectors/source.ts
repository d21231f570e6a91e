import type { RuntimeContext } from '../api/functions.ts';

/** What a reader's poll reports: more to read now, finished, or nothing until `waitMs` has passed. */
export type PollResult = 'more' | 'end' | { readonly waitMs: number };

/** Where a source reader emits its records. */
export interface SourceOutput<T> {
  collect(record: T): void;
}

/** One subtask's reader. `poll` emits at most `max` records per call, so the runtime can check backpressure between calls. */
export interface SourceReader<T> {
  open?(): void | Promise<void>;
  poll(output: SourceOutput<T>, max: number): PollResult | Promise<PollResult>;
  close?(): void | Promise<void>;
}

export interface Source<T> {
  readonly boundedness: 'bounded' | 'unbounded';
  /** A name for the graph and metrics. */
  readonly name: string;
  /** Sources that cannot split their input (a list of elements) cap their parallelism here. */
  readonly maxParallelism?: number;
  createReader(ctx: RuntimeContext): SourceReader<T>;
}

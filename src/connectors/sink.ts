import type { RuntimeContext } from '../api/functions.ts';

/** One subtask's writer. `write` is on the hot path; `flush` runs after each input batch and may be async. */
export interface SinkWriter<T> {
  open?(): void | Promise<void>;
  write(record: T): void;
  flush?(): void | Promise<void>;
  /** All input has ended: make everything written durable. */
  finish?(): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface Sink<T> {
  readonly name: string;
  createWriter(ctx: RuntimeContext): SinkWriter<T>;
}

import type { RuntimeContext } from '../api/functions.ts';
import type { KeyedStateBackend } from '../state/backend.ts';

/** Where an operator sends what it emits: the main output and any side outputs by tag id. */
export interface OperatorOutput<T> {
  collect(record: T): void;
  emitSide(tagId: string, record: unknown): void;
}

export interface OperatorContext extends RuntimeContext {
  /** Unique, stable operator id (the uid, or one derived from the graph position). */
  readonly operatorId: string;
  /** Present for operators after keyBy. */
  readonly keyedState: KeyedStateBackend | undefined;
  /** Wraps a throw from user code so the failure names this operator and the record. */
  fail(cause: unknown, record: unknown): Error;
}

/**
 * A physical operator. Only `process` is required; the hooks default to no-ops.
 * `process` runs on the hot path: no allocation or await there beyond what the user function does.
 */
export interface StreamOperator<I = unknown, O = unknown> {
  open?(ctx: OperatorContext, output: OperatorOutput<O>): void | Promise<void>;
  /** `input` is the logical input index (0, or 1 for the second input of a two-input operator). */
  process(record: I, input: number): void;
  /** After each input batch: sinks flush here; a returned promise holds back further input (backpressure). */
  endOfBatch?(): void | Promise<void>;
  /** All input has ended: emit what is held back. */
  finish?(): void | Promise<void>;
  close?(): void | Promise<void>;
}

export type OperatorFactory = () => StreamOperator;

import type { OutputTag } from '../core/output-tag.ts';
import type { AnyStateDescriptor, ReduceFunction, StateHandleFor } from '../state/descriptors.ts';
import type { RuntimeContext } from '../core/runtime-context.ts';

// Defined in the lower layers that use them; part of the user function vocabulary.
export type { ReduceFunction, RuntimeContext };

/** Receives the records an operator emits. */
export interface Collector<T> {
  collect(record: T): void;
}

/**
 * The output type of a function that emits through a collector without saying what it emits. TypeScript infers a
 * function's output type from what the function declares (`process<Out>(...)`, a parameter `out: Collector<Out>`, or
 * a named function whose signature says it), never from the `out.collect(...)` calls in its body; when none of these
 * gives it, the output type is this one instead of `unknown`, so that `out.collect({...})` fails to compile
 * ("... does not exist in type 'UndeclaredOutput'") rather than letting a typo in a field flow downstream.
 */
export interface UndeclaredOutput {
  readonly 'declare the output type: process<Out>(...), or annotate the parameter out: Collector<Out>': never;
}

export type MapFunction<I, O> = (value: I) => O;
export type FilterFunction<T> = (value: T) => boolean;
/** Emits zero or more records per input: return an iterable, or push through the collector. */
export type FlatMapFunction<I, O> = (value: I, out: Collector<O>) => Iterable<O> | void;
export type KeySelector<T, K> = (value: T) => K;


export interface ProcessContext extends RuntimeContext {
  /** Event time of the record being processed (or of the timer firing); NO_TIMESTAMP when it has none. */
  readonly timestamp: number;
  /** Sends a record to the side output named by `tag`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Timers of the current key (Flink's TimerService); a timer fires once per key and timestamp, in `onTimer`. */
export interface TimerService {
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
  registerProcessingTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
}

export interface KeyedProcessContext<K> extends ProcessContext {
  readonly currentKey: K;
  /** The state handle for `descriptor`, scoped to the current key. */
  getState<D extends AnyStateDescriptor>(descriptor: D): StateHandleFor<D>;
  readonly timerService: TimerService;
}

/** Given to `onTimer`: the firing timer's key is current; `timestamp` is the timer's time. */
export interface OnTimerContext<K> extends KeyedProcessContext<K> {
  readonly timeDomain: 'event' | 'processing';
}

/** Given to `endInput` of a keyed process function: the input is bounded and has ended. */
export interface KeyedEndOfInputContext<K> extends RuntimeContext {
  /** Runs `fn` once for every key that has state in this subtask, with that key current (Flink 2's applyToAllPartitions). */
  applyToAllKeys(fn: (key: K, ctx: KeyedProcessContext<K>) => void): void;
}

export type ProcessFunction<I, O> =
  | ((value: I, ctx: ProcessContext, out: Collector<O>) => void)
  | {
      open?(ctx: RuntimeContext): void | Promise<void>;
      processElement(value: I, ctx: ProcessContext, out: Collector<O>): void;
      close?(): void | Promise<void>;
    };

export type KeyedProcessFunction<K, I, O> =
  | ((value: I, ctx: KeyedProcessContext<K>, out: Collector<O>) => void)
  | {
      open?(ctx: RuntimeContext): void | Promise<void>;
      processElement(value: I, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
      /** A timer registered through `ctx.timerService` fired. */
      onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
      /** Called once when all input has ended (bounded jobs): emit final per-key results here. */
      endInput?(ctx: KeyedEndOfInputContext<K>, out: Collector<O>): void;
      close?(): void | Promise<void>;
    };

/** Flink's KeyedCoProcessFunction: two keyed inputs sharing per-key state and timers (custom joins). */
export interface KeyedCoProcessFunction<K, I1, I2, O> {
  open?(ctx: RuntimeContext): void | Promise<void>;
  processElement1(value: I1, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  processElement2(value: I2, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
  endInput?(ctx: KeyedEndOfInputContext<K>, out: Collector<O>): void;
  close?(): void | Promise<void>;
}

import type { Collector, ReduceFunction, UndeclaredOutput } from '../operators/functions.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type { SingleOutputStream } from './data-stream.ts';
import type { WindowedStream } from './windowed-stream.ts';
import type { AggregateFunction } from '../state/descriptors.ts';
import type { Trigger } from '../operators/window/triggers.ts';
import type { Window } from '../operators/window/windows.ts';
import type { WindowContext } from '../operators/window/window-operator.ts';

/** Flink's ProcessAllWindowFunction: a window of the whole stream, without a key. Output type: see {@link UndeclaredOutput}. */
export type ProcessAllWindowFunction<IN, OUT, W extends Window> = (context: WindowContext<W>, elements: IN[], out: Collector<OUT>) => void;

/**
 * A whole stream cut into windows (`windowAll`, `countWindowAll`): a keyed window on one constant key, run at
 * parallelism 1 as Flink runs its non-parallel AllWindowedStream.
 */
export class AllWindowedStream<T, W extends Window> {
  /** @internal */
  constructor(private readonly windows: WindowedStream<T, 0, W>) {}

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger<T, W>): this {
    this.windows.trigger(trigger);
    return this;
  }

  /** Keeps event-time windows for `ms` after their end: late elements update them and they fire again. */
  allowedLateness(ms: number): this {
    this.windows.allowedLateness(ms);
    return this;
  }

  /** Elements that arrive after their windows were purged go to this side output instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.windows.sideOutputLateData(tag);
    return this;
  }

  reduce(reduce: ReduceFunction<T>): SingleOutputStream<T>;
  reduce<O = UndeclaredOutput>(reduce: ReduceFunction<T>, windowFunction: ProcessAllWindowFunction<T, O, W>): SingleOutputStream<O>;
  reduce<O>(reduce: ReduceFunction<T>, windowFunction?: ProcessAllWindowFunction<T, O, W>): SingleOutputStream<O> | SingleOutputStream<T> {
    const stream = windowFunction === undefined ? this.windows.reduce(reduce) : this.windows.reduce(reduce, withoutKey(windowFunction));
    return stream.setParallelism(1);
  }

  aggregate<ACC, R>(aggregate: AggregateFunction<T, ACC, R>): SingleOutputStream<R>;
  aggregate<ACC, R, O = UndeclaredOutput>(
    aggregate: AggregateFunction<T, ACC, R>,
    windowFunction: ProcessAllWindowFunction<R, O, W>,
  ): SingleOutputStream<O>;
  aggregate<ACC, R, O>(aggregate: AggregateFunction<T, ACC, R>, windowFunction?: ProcessAllWindowFunction<R, O, W>): SingleOutputStream<O> | SingleOutputStream<R> {
    const stream =
      windowFunction === undefined ? this.windows.aggregate(aggregate) : this.windows.aggregate(aggregate, withoutKey(windowFunction));
    return stream.setParallelism(1);
  }

  process<O = UndeclaredOutput>(fn: ProcessAllWindowFunction<T, O, W>): SingleOutputStream<O> {
    return this.windows.process(withoutKey(fn)).setParallelism(1);
  }
}

function withoutKey<IN, OUT, W extends Window>(fn: ProcessAllWindowFunction<IN, OUT, W>) {
  return (_key: 0, context: WindowContext<W>, elements: IN[], out: Collector<OUT>): void => fn(context, elements, out);
}

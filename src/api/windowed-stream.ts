import type { Collector, KeySelector, ReduceFunction, UndeclaredOutput } from '../operators/functions.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type { SingleOutputStream } from './data-stream.ts';
import type { AggregateFunction } from '../state/descriptors.ts';
import type { OperatorFactory } from '../operators/operator.ts';
import type { WindowAssigner } from '../operators/window/assigners.ts';
import type { Trigger } from '../operators/window/triggers.ts';
import type { Window } from '../operators/window/windows.ts';
import type { Folding, WindowContents } from '../operators/window/window-contents.ts';
import type { TimeWindow } from '../operators/window/windows.ts';
import { canSlice, slicedWindowOperator } from '../operators/window/sliced-window-operator.ts';
import type { KeyedStateBackend } from '../state/backend.ts';
import { type WindowContext, type WindowEmitter, windowOperator } from '../operators/window/window-operator.ts';
import { aggregating, foldingContents, lastElementsContents, listContents, reducing } from '../operators/window/window-contents.ts';

/**
 * Flink's ProcessWindowFunction: all of a window's elements (or its one reduced/aggregated value), with the window.
 * Its output type is inferred from `out`'s type or the type argument; see {@link UndeclaredOutput}.
 */
export type ProcessWindowFunction<IN, OUT, K, W extends Window> = (
  key: K,
  context: WindowContext<W>,
  elements: IN[],
  out: Collector<OUT>,
) => void;

/** Adds a keyed operator to the graph; given by KeyedStream so that windows need not see its internals. */
export type AddKeyedOperator = <O>(name: string, createOperator: OperatorFactory) => SingleOutputStream<O>;

/** A keyed stream cut into windows; ends with reduce, aggregate or process, as in Flink. */
export class WindowedStream<T, K, W extends Window> {
  private windowTrigger: Trigger<T, W> | undefined;
  private lateness = 0;
  private lateTag: OutputTag<T> | undefined;

  /** @internal */
  constructor(
    private readonly addKeyed: AddKeyedOperator,
    private readonly keySelector: KeySelector<T, K>,
    private readonly assigner: WindowAssigner<W>,
    /** Flink's CountEvictor (countWindow with a slide): a firing window keeps only its last this many elements. */
    private readonly keepLast: number | undefined,
  ) {}

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger<T, W>): this {
    this.windowTrigger = trigger;
    return this;
  }

  /** Keeps event-time windows for `ms` after their end: late elements update them and they fire again. */
  allowedLateness(ms: number): this {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`allowed lateness must be >= 0 ms, got ${ms}`);
    this.lateness = ms;
    return this;
  }

  /** Elements that arrive after their windows were purged go to this side output instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateTag = tag;
    return this;
  }

  /** Folds each window's elements with `reduce`; `windowFunction` (optional) sees the result with the window. */
  reduce(reduce: ReduceFunction<T>): SingleOutputStream<T>;
  reduce<O = UndeclaredOutput>(reduce: ReduceFunction<T>, windowFunction: ProcessWindowFunction<T, O, K, W>): SingleOutputStream<O>;
  reduce<O>(reduce: ReduceFunction<T>, windowFunction?: ProcessWindowFunction<T, O, K, W>): SingleOutputStream<O> {
    return this.folded('window-reduce', reducing(reduce), single(windowFunction), true);
  }

  /** Aggregates each window's elements incrementally; `windowFunction` (optional) sees the result with the window. */
  aggregate<ACC, R>(aggregate: AggregateFunction<T, ACC, R>): SingleOutputStream<R>;
  aggregate<ACC, R, O = UndeclaredOutput>(
    aggregate: AggregateFunction<T, ACC, R>,
    windowFunction: ProcessWindowFunction<R, O, K, W>,
  ): SingleOutputStream<O>;
  aggregate<ACC, R, O>(
    aggregate: AggregateFunction<T, ACC, R>,
    windowFunction?: ProcessWindowFunction<R, O, K, W>,
  ): SingleOutputStream<O> {
    const folding = aggregating(aggregate);
    // Slices combine with merge: without it, every window keeps its own accumulator.
    return this.folded('window-aggregate', folding, single(windowFunction), folding.canCombine);
  }

  /** Gives every element of a window to `fn` when it fires (the window keeps them all until then). */
  process<O = UndeclaredOutput>(fn: ProcessWindowFunction<T, O, K, W>): SingleOutputStream<O> {
    const keepLast = this.keepLast;
    if (keepLast !== undefined) return this.build<T[], O>('window-process', (backend) => lastElementsContents<T>(backend, keepLast), fn);
    return this.build<T[], O>('window-process', (backend) => listContents<T>(backend), fn);
  }

  /**
   * A reduce or an aggregate: folded element by element, or, behind a count evictor, over the elements the evictor
   * kept when the window fires (as Flink's EvictingWindowOperator, which keeps every element for that).
   */
  private folded<ACC, R, O>(name: string, folding: Folding<T, ACC, R>, emit: WindowEmitter<K, W, R, O>, slices: boolean): SingleOutputStream<O> {
    const keepLast = this.keepLast;
    if (keepLast === undefined) {
      const sliced = slices ? (folding as Folding<T, unknown, R>) : undefined;
      return this.build<R, O>(name, (backend) => foldingContents(backend, folding), emit, sliced);
    }
    const foldKept: WindowEmitter<K, W, T[], O> = (key, context, elements, out) => {
      let folded: ACC | undefined;
      for (const element of elements) folded = folding.fold(folded, element);
      if (folded !== undefined) emit(key, context, folding.result(folded), out);
    };
    return this.build<T[], O>(name, (backend) => lastElementsContents<T>(backend, keepLast), foldKept);
  }

  /** `folding`: how the contents fold and combine, when they do (reduce, aggregate with merge); sliding windows slice. */
  private build<R, O>(
    name: string,
    contents: (backend: KeyedStateBackend) => WindowContents<T, R>,
    emit: WindowEmitter<K, W, R, O>,
    folding?: Folding<T, unknown, R>,
  ): SingleOutputStream<O> {
    const assigner = this.assigner;
    if (this.lateness > 0 && !assigner.eventTime) throw new TypeError('allowed lateness applies to event-time windows only');
    const timeWindows = assigner as unknown as WindowAssigner<TimeWindow>;
    if (folding !== undefined && canSlice(timeWindows, this.windowTrigger !== undefined, this.lateness)) {
      // An element goes into one slice instead of size/slide windows (Nexmark q5: five).
      const emitSliced = emit as unknown as WindowEmitter<K, TimeWindow, R, O>;
      const spec = { keySelector: this.keySelector, windows: timeWindows, lateDataTag: this.lateTag, folding, emit: emitSliced };
      return this.addKeyed<O>(name, slicedWindowOperator(spec));
    }
    return this.addKeyed<O>(
      name,
      windowOperator({
        keySelector: this.keySelector,
        assigner,
        trigger: this.windowTrigger ?? (assigner.defaultTrigger() as Trigger<T, W>),
        allowedLatenessMs: this.lateness,
        lateDataTag: this.lateTag,
        contents,
        emit,
      }),
    );
  }
}

/** Emits a single result as is, or hands it to the window function as a one-element list. */
function single<R, O, K, W extends Window>(fn: ProcessWindowFunction<R, O, K, W> | undefined): WindowEmitter<K, W, R, O> {
  if (fn === undefined) return (_key, _context, result, out) => out.collect(result as unknown as O);
  return (key, context, result, out) => fn(key, context, [result], out);
}

import type { KeyedStateBackend, Namespace } from '../../state/backend.ts';
import type { AggregateFunction } from '../../state/descriptors.ts';
import { ListStateDescriptor, ValueStateDescriptor } from '../../state/descriptors.ts';
import { WeirError } from '../../core/errors.ts';
import type { ReduceFunction } from '../../state/descriptors.ts';

/**
 * What a window keeps for the current key and namespace, and how two windows' contents merge (sessions): a reduced
 * value, an aggregate's accumulator, or every element (for process window functions). Reduce and aggregate keep a
 * plain ValueState rather than Reducing/AggregatingState because merging needs the raw accumulator.
 */
export interface WindowContents<IN, OUT> {
  /**
   * Adds an element; returns false only when the window surely held something before, so the operator can skip
   * re-registering its cleanup timer (a map lookup per element saved on the hot path).
   */
  add(value: IN): boolean;
  /** The window's result so far; undefined when the window holds nothing. */
  get(): OUT | undefined;
  clear(): void;
  /** Folds the contents of namespace `from` into the current namespace and clears `from`. */
  mergeFrom(from: Namespace): void;
}

const CONTENTS = 'window-contents';
/** The state of the sliced window operator (sliding windows cut into slices). */
export const SLICES = 'window-slices';

/**
 * Refuses to open over state the other window operator wrote (a savepoint of the job before its windows were or
 * stopped being sliced): read as its own, or left unread, its windows would be lost without a word.
 */
export function refuseForeignWindowState(backend: KeyedStateBackend, operatorName: string, sliced: boolean): void {
  const foreign = sliced ? CONTENTS : SLICES;
  for (const _key of backend.keys(foreign)) {
    const [was, is] = sliced ? ['whole windows', 'slices'] : ['slices', 'whole windows'];
    // Fatal: every restart would restore the same state.
    throw new WeirError(
      `window operator '${operatorName}' restored ${was} but now keeps ${is}: sliding windows are sliced only with a reduce ` +
        'or an aggregate with merge, the default trigger and no allowed lateness. Restore with the job as it was, or start without the savepoint',
      { fatal: true },
    );
  }
}

/** Reads and clears what namespace `from` holds, then returns to the current namespace. */
function takeFrom<V>(backend: KeyedStateBackend, from: Namespace, read: () => V, clear: () => void): V {
  const target = backend.currentNamespace;
  backend.setCurrentNamespace(from);
  const taken = read();
  clear();
  backend.setCurrentNamespace(target);
  return taken;
}

/** How elements fold into one value (a reduce, an aggregate's accumulator) and how two folded values merge. */
export interface Folding<IN, V, OUT> {
  fold(current: V | undefined, value: IN): V;
  /** Merges two folded values. It may reuse either as its result (as Flink's merge may): hand it copies of stored ones. */
  combine(a: V, b: V): V;
  result(folded: V): OUT;
}

export function reducing<T>(reduce: ReduceFunction<T>): Folding<T, T, T> {
  return { fold: (current, value) => (current === undefined ? value : reduce(current, value)), combine: reduce, result: (value) => value };
}

/** `canCombine` is false without the aggregate's merge: then `combine` throws. */
export function aggregating<IN, ACC, OUT>(aggregate: AggregateFunction<IN, ACC, OUT>): Folding<IN, ACC, OUT> & { readonly canCombine: boolean } {
  return {
    fold: (current, value) => aggregate.add(value, current === undefined ? aggregate.createAccumulator() : current),
    combine(a, b) {
      if (aggregate.merge === undefined) throw new TypeError('session windows need an AggregateFunction with merge()');
      return aggregate.merge(a, b);
    },
    result: (accumulator) => aggregate.getResult(accumulator),
    canCombine: aggregate.merge !== undefined,
  };
}

/** Contents kept as one folded value. */
export function foldingContents<IN, V, OUT>(backend: KeyedStateBackend, { fold, combine, result }: Folding<IN, V, OUT>): WindowContents<IN, OUT> {
  const state = backend.getState(new ValueStateDescriptor<V>(CONTENTS));
  return {
    add(value) {
      const current = state.value();
      state.update(fold(current, value));
      return current === undefined;
    },
    get() {
      const folded = state.value();
      return folded === undefined ? undefined : result(folded);
    },
    clear: () => state.clear(),
    mergeFrom(from) {
      const other = takeFrom(backend, from, () => state.value(), () => state.clear());
      if (other === undefined) return;
      const current = state.value();
      state.update(current === undefined ? other : combine(current, other));
    },
  };
}

export function listContents<T>(backend: KeyedStateBackend): WindowContents<T, T[]> {
  const state = backend.getState(new ListStateDescriptor<T>(CONTENTS));
  return {
    add(value) {
      // Reading the list to learn whether it was empty would copy it on every element: report "maybe new".
      state.add(value);
      return true;
    },
    get() {
      const elements = state.get();
      return elements.length === 0 ? undefined : elements;
    },
    clear: () => state.clear(),
    mergeFrom(from) {
      const other = takeFrom(backend, from, () => state.get(), () => state.clear());
      if (other.length > 0) state.addAll(other);
    },
  };
}

/**
 * Every element, as listContents, behind Flink's CountEvictor (evictBefore): when the window is read, which the
 * window operator does only as it fires, the elements before the last `count` are dropped for good.
 */
export function lastElementsContents<T>(backend: KeyedStateBackend, count: number): WindowContents<T, T[]> {
  const state = backend.getState(new ListStateDescriptor<T>(CONTENTS));
  const all = listContents<T>(backend);
  return {
    ...all,
    get() {
      const elements = all.get();
      if (elements === undefined || elements.length <= count) return elements;
      const kept = elements.slice(elements.length - count);
      state.update(kept);
      return kept;
    },
  };
}

import type { KeyedStateBackend } from '../../state/backend.ts';
import type { AggregateFunction } from '../../state/descriptors.ts';
import type { ReduceFunction } from '../../api/functions.ts';
import { ListStateDescriptor, ValueStateDescriptor } from '../../state/descriptors.ts';

/**
 * What a window keeps for the current key and namespace, and how two windows' contents merge (sessions): a reduced
 * value, an aggregate's accumulator, or every element (for process window functions).
 */
export interface WindowContents<IN, OUT> {
  add(value: IN): void;
  /** The window's result so far; undefined when the window holds nothing. */
  get(): OUT | undefined;
  clear(): void;
  /** Folds the contents of namespace `from` into the current namespace and clears `from`. */
  mergeFrom(from: string | number): void;
}

const CONTENTS = 'window-contents';

export function reducingContents<T>(backend: KeyedStateBackend, reduce: ReduceFunction<T>): WindowContents<T, T> {
  const state = backend.getState(new ValueStateDescriptor<T>(CONTENTS));
  return {
    add(value) {
      const current = state.value();
      state.update(current === undefined ? value : reduce(current, value));
    },
    get: () => state.value(),
    clear: () => state.clear(),
    mergeFrom(from) {
      const target = backend.currentNamespace;
      backend.setCurrentNamespace(from);
      const other = state.value();
      state.clear();
      backend.setCurrentNamespace(target);
      if (other === undefined) return;
      const current = state.value();
      state.update(current === undefined ? other : reduce(current, other));
    },
  };
}

export function aggregatingContents<IN, ACC, OUT>(
  backend: KeyedStateBackend,
  aggregate: AggregateFunction<IN, ACC, OUT>,
): WindowContents<IN, OUT> {
  const state = backend.getState(new ValueStateDescriptor<ACC>(CONTENTS));
  return {
    add(value) {
      const current = state.value();
      state.update(aggregate.add(value, current === undefined ? aggregate.createAccumulator() : current));
    },
    get() {
      const accumulator = state.value();
      return accumulator === undefined ? undefined : aggregate.getResult(accumulator);
    },
    clear: () => state.clear(),
    mergeFrom(from) {
      if (aggregate.merge === undefined) throw new TypeError('session windows need an AggregateFunction with merge()');
      const target = backend.currentNamespace;
      backend.setCurrentNamespace(from);
      const other = state.value();
      state.clear();
      backend.setCurrentNamespace(target);
      if (other === undefined) return;
      const current = state.value();
      state.update(current === undefined ? other : aggregate.merge(current, other));
    },
  };
}

export function listContents<T>(backend: KeyedStateBackend): WindowContents<T, T[]> {
  const state = backend.getState(new ListStateDescriptor<T>(CONTENTS));
  return {
    add: (value) => state.add(value),
    get() {
      const elements = state.get();
      return elements.length === 0 ? undefined : elements;
    },
    clear: () => state.clear(),
    mergeFrom(from) {
      const target = backend.currentNamespace;
      backend.setCurrentNamespace(from);
      const other = state.get();
      state.clear();
      backend.setCurrentNamespace(target);
      if (other.length > 0) state.addAll(other);
    },
  };
}

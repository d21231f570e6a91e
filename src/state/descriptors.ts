/** Combines two values of one key into one (Flink's ReduceFunction). */
export type ReduceFunction<T> = (accumulator: T, value: T) => T;

/**
 * Time-to-live of keyed state, in processing time (as in Flink). An expired value is never returned: reads treat it
 * as absent and it is cleared lazily.
 */
export interface StateTtlConfig {
  readonly ttlMs: number;
  /** What refreshes the timestamp: writes only (default), or reads too. */
  readonly updateType?: 'onCreateAndWrite' | 'onReadAndWrite';
}

/** Flink's AggregateFunction: an accumulator per key (and window) with a result computed from it. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  /** Needed only by merging (session) windows. */
  merge?(a: ACC, b: ACC): ACC;
}

export interface StateOptions {
  readonly ttl?: StateTtlConfig;
}

/** Declares a piece of keyed state by name; operators get a handle scoped to the current key (and namespace). */
export abstract class StateDescriptor<T> {
  abstract readonly kind: 'value' | 'list' | 'map' | 'reducing' | 'aggregating';
  declare readonly __type?: T;
  readonly ttl: StateTtlConfig | undefined;
  constructor(
    readonly name: string,
    options: StateOptions = {},
  ) {
    if (name.length === 0) throw new TypeError('a state descriptor needs a non-empty name');
    if (name.startsWith('__')) throw new TypeError(`state name '${name}' is reserved: names starting with '__' belong to weir`);
    if (options.ttl !== undefined && !(Number.isFinite(options.ttl.ttlMs) && options.ttl.ttlMs > 0)) {
      throw new RangeError(`state '${name}': ttlMs must be a positive number, got ${options.ttl.ttlMs}`);
    }
    this.ttl = options.ttl;
  }
}

export interface ValueState<T> {
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

export interface ListState<T> {
  /** The list, or an empty array; the array is a copy the caller may keep. */
  get(): T[];
  add(value: T): void;
  addAll(values: readonly T[]): void;
  update(values: readonly T[]): void;
  clear(): void;
}

/** User keys follow the same rules as record keys: primitives, arrays or plain objects. */
export interface MapState<UK, UV> {
  get(key: UK): UV | undefined;
  put(key: UK, value: UV): void;
  putAll(entries: Iterable<readonly [UK, UV]>): void;
  remove(key: UK): void;
  contains(key: UK): boolean;
  entries(): [UK, UV][];
  keys(): UK[];
  values(): UV[];
  isEmpty(): boolean;
  clear(): void;
}

/** Holds one value that every `add` folds in with the reduce function. */
export interface ReducingState<T> {
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

/** Holds an accumulator; `get` returns the aggregate function's result. */
export interface AggregatingState<IN, OUT> {
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}

export class ValueStateDescriptor<T> extends StateDescriptor<T> {
  readonly kind = 'value' as const;
}

export class ListStateDescriptor<T> extends StateDescriptor<T[]> {
  readonly kind = 'list' as const;
  declare readonly __element?: T;
}

export class MapStateDescriptor<UK, UV> extends StateDescriptor<Map<UK, UV>> {
  readonly kind = 'map' as const;
  declare readonly __entry?: [UK, UV];
}

export class ReducingStateDescriptor<T> extends StateDescriptor<T> {
  readonly kind = 'reducing' as const;
  constructor(
    name: string,
    readonly reduce: ReduceFunction<T>,
    options?: StateOptions,
  ) {
    super(name, options);
  }
}

export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor<ACC> {
  readonly kind = 'aggregating' as const;
  declare readonly __io?: [IN, OUT];
  constructor(
    name: string,
    readonly aggregate: AggregateFunction<IN, ACC, OUT>,
    options?: StateOptions,
  ) {
    super(name, options);
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- `any` here only lets descriptors with function fields of any
   element type be passed where a descriptor is expected; the handle type is still inferred from the concrete one. */
export type AnyStateDescriptor =
  | ValueStateDescriptor<any>
  | ListStateDescriptor<any>
  | MapStateDescriptor<any, any>
  | ReducingStateDescriptor<any>
  | AggregatingStateDescriptor<any, any, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export type StateHandleFor<D> =
  D extends ValueStateDescriptor<infer T>
    ? ValueState<T>
    : D extends ListStateDescriptor<infer T>
      ? ListState<T>
      : D extends MapStateDescriptor<infer UK, infer UV>
        ? MapState<UK, UV>
        : D extends ReducingStateDescriptor<infer T>
          ? ReducingState<T>
          : D extends AggregatingStateDescriptor<infer IN, unknown, infer OUT>
            ? AggregatingState<IN, OUT>
            : never;

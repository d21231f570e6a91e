/** Declares a piece of keyed state by name; operators get a handle scoped to the current key. */
export interface StateDescriptor<T> {
  readonly kind: 'value';
  readonly name: string;
  /** Phantom field carrying the value type. */
  readonly __type?: T;
}

export interface ValueState<T> {
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

export class ValueStateDescriptor<T> implements StateDescriptor<T> {
  readonly kind = 'value' as const;
  declare readonly __type?: T;
  constructor(readonly name: string) {
    if (name.length === 0) throw new TypeError('a state descriptor needs a non-empty name');
  }
}

export type StateHandleFor<D> = D extends ValueStateDescriptor<infer T> ? ValueState<T> : never;

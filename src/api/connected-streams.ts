import type { KeyedCoProcessFunction, KeySelector, UndeclaredOutput } from '../operators/functions.ts';
import type { LogicalGraph, Partitioning } from './graph.ts';
import { type SingleOutputStream, type StreamOrigin, appendOperator, inputOf } from './data-stream.ts';
import { keyedCoProcessOperator } from '../operators/keyed-co-process.ts';

/** Two streams read by one two-input operator; key both sides to get shared keyed state and timers. */
export class ConnectedStreams<T1, T2> {
  /** @internal */
  constructor(
    private readonly graph: LogicalGraph,
    private readonly first: StreamOrigin,
    private readonly second: StreamOrigin,
  ) {}

  /** Partitions both inputs by key: records of either input with equal keys meet in the same subtask. */
  keyBy<K>(keySelector1: KeySelector<T1, K>, keySelector2: KeySelector<T2, K>): ConnectedKeyedStreams<T1, T2, K> {
    return new ConnectedKeyedStreams(this.graph, this.first, this.second, keySelector1, keySelector2);
  }
}

export class ConnectedKeyedStreams<T1, T2, K> {
  /** @internal */
  constructor(
    private readonly graph: LogicalGraph,
    private readonly first: StreamOrigin,
    private readonly second: StreamOrigin,
    private readonly keySelector1: KeySelector<T1, K>,
    private readonly keySelector2: KeySelector<T2, K>,
  ) {}

  process<O = UndeclaredOutput>(fn: KeyedCoProcessFunction<K, T1, T2, O>): SingleOutputStream<O> {
    const hash = (keySelector: KeySelector<never, K>): Partitioning => ({
      kind: 'hash',
      keySelector: keySelector as KeySelector<unknown, unknown>,
    });
    const inputs = [
      inputOf({ ...this.first, partitioning: hash(this.keySelector1) }, 0),
      inputOf({ ...this.second, partitioning: hash(this.keySelector2) }, 1),
    ];
    return appendOperator<O>(
      this.graph,
      inputs,
      'keyedCoProcess',
      keyedCoProcessOperator(this.keySelector1, this.keySelector2, fn),
      this.keySelector1 as KeySelector<unknown, unknown>,
      false,
    );
  }
}

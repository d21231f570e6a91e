import type { FilterFunction, FlatMapFunction, KeyedProcessFunction, KeySelector, MapFunction, ProcessFunction } from '../operators/functions.ts';
import type { LogicalGraph, LogicalNode, NodeInput, OperatorNode, Partitioning } from './graph.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type { Sink } from '../connectors/sink.ts';
import type { OperatorFactory } from '../operators/operator.ts';
import { filterOperator, flatMapOperator, mapOperator } from '../operators/stateless.ts';
import { processOperator } from '../operators/process.ts';
import { keyedProcessOperator } from '../operators/keyed-process.ts';
import { keyedReduceOperator } from '../operators/keyed-reduce.ts';
import { sinkOperator } from '../operators/sink.ts';
import { WindowedStream } from './windowed-stream.ts';
import { ConnectedStreams } from './connected-streams.ts';
import { JoinedStreams } from './joined-streams.ts';
import { IntervalJoin } from './interval-join.ts';
import type { WindowAssigner } from '../operators/window/assigners.ts';
import type { Window } from '../operators/window/windows.ts';
import type { ReduceFunction } from '../state/descriptors.ts';

/** Where a stream's records come from: a node's main or side output, with the partitioning its consumer will use. */
export interface StreamOrigin {
  readonly nodeId: number;
  readonly sideOutput: string | undefined;
  readonly partitioning: Partitioning | undefined;
}

export function inputOf(origin: StreamOrigin, inputIndex = 0): NodeInput {
  return { from: origin.nodeId, sideOutput: origin.sideOutput, partitioning: origin.partitioning, inputIndex };
}

export function appendOperator<O>(
  graph: LogicalGraph,
  inputs: NodeInput[],
  name: string,
  createOperator: OperatorFactory,
  keySelector: KeySelector<unknown, unknown> | undefined,
  isSink: boolean,
): SingleOutputStream<O> {
  const node = graph.add<OperatorNode>((id) => ({
    id,
    kind: 'operator',
    name,
    uid: undefined,
    parallelism: undefined,
    inputs,
    createOperator,
    keySelector,
    isSink,
  }));
  return new SingleOutputStream<O>(graph, { nodeId: node.id, sideOutput: undefined, partitioning: undefined });
}

/** A stream of records of type T; every transformation adds a node to the job's logical graph. */
export class DataStream<T> {
  /** @internal */
  constructor(
    protected readonly graph: LogicalGraph,
    protected readonly origin: StreamOrigin,
  ) {}

  protected addOperator<O>(name: string, createOperator: OperatorFactory, isSink = false): SingleOutputStream<O> {
    return appendOperator<O>(this.graph, [inputOf(this.origin)], name, createOperator, undefined, isSink);
  }

  map<O>(fn: MapFunction<T, O>): SingleOutputStream<O> {
    return this.addOperator('map', mapOperator(fn));
  }

  filter(fn: FilterFunction<T>): SingleOutputStream<T> {
    return this.addOperator('filter', filterOperator(fn));
  }

  flatMap<O>(fn: FlatMapFunction<T, O>): SingleOutputStream<O> {
    return this.addOperator('flatMap', flatMapOperator(fn));
  }

  process<O>(fn: ProcessFunction<T, O>): SingleOutputStream<O> {
    return this.addOperator('process', processOperator(fn));
  }

  /** Partitions by key: records with equal keys go to the same subtask, in order. */
  keyBy<K>(keySelector: KeySelector<T, K>): KeyedStream<T, K> {
    const partitioning: Partitioning = { kind: 'hash', keySelector: keySelector as KeySelector<unknown, unknown> };
    return new KeyedStream<T, K>(this.graph, { ...this.origin, partitioning }, keySelector);
  }

  /** Round-robin to every subtask of the next operator. */
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.graph, { ...this.origin, partitioning: { kind: 'rebalance' } });
  }

  /** Every record to every subtask of the next operator. */
  broadcast(): DataStream<T> {
    return new DataStream<T>(this.graph, { ...this.origin, partitioning: { kind: 'broadcast' } });
  }

  /** Same subtask index downstream; needs equal parallelism. */
  forward(): DataStream<T> {
    return new DataStream<T>(this.graph, { ...this.origin, partitioning: { kind: 'forward' } });
  }

  /** Pairs this stream with another of any type, for a two-input function (custom joins). */
  connect<U>(other: DataStream<U>): ConnectedStreams<T, U> {
    return new ConnectedStreams<T, U>(this.graph, this.origin, other.origin);
  }

  /** A window join with another stream: `.where(key).equalTo(key).window(assigner).apply(fn)`. */
  join<U>(other: DataStream<U>): JoinedStreams<T, U> {
    return new JoinedStreams<T, U>(this, other);
  }

  /** Merges streams of the same type. */
  union(...others: DataStream<T>[]): DataStream<T> {
    const inputs = [this, ...others].map((stream) => inputOf(stream.origin));
    const node = this.graph.add<LogicalNode>((id) => ({
      id,
      kind: 'union',
      name: 'union',
      uid: undefined,
      parallelism: undefined,
      inputs,
    }));
    return new DataStream<T>(this.graph, { nodeId: node.id, sideOutput: undefined, partitioning: undefined });
  }

  sinkTo(sink: Sink<T>): SinkStream {
    const stream = this.addOperator<never>(sink.name, sinkOperator(sink), true);
    return new SinkStream(this.graph, stream.nodeId);
  }
}

/** Settings that apply to one operator: name, uid, parallelism, side outputs. */
export class SingleOutputStream<T> extends DataStream<T> {
  /** @internal */
  get nodeId(): number {
    return this.origin.nodeId;
  }

  private node(): LogicalNode {
    return this.graph.node(this.origin.nodeId);
  }

  name(name: string): this {
    this.node().name = name;
    return this;
  }

  /** A stable id for the operator's state across job versions. */
  uid(uid: string): this {
    this.node().uid = uid;
    return this;
  }

  setParallelism(parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new RangeError(`parallelism must be a positive integer, got ${parallelism}`);
    this.node().parallelism = parallelism;
    return this;
  }

  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    return new DataStream<X>(this.graph, { nodeId: this.origin.nodeId, sideOutput: tag.id, partitioning: undefined });
  }
}

/** A stream partitioned by key; keyed operators get per-key state. */
export class KeyedStream<T, K> {
  /** @internal */
  constructor(
    private readonly graph: LogicalGraph,
    private readonly origin: StreamOrigin,
    private readonly keySelector: KeySelector<T, K>,
  ) {}

  private readonly keyed = <O>(name: string, createOperator: OperatorFactory): SingleOutputStream<O> => {
    const keySelector = this.keySelector as KeySelector<unknown, unknown>;
    return appendOperator<O>(this.graph, [inputOf(this.origin)], name, createOperator, keySelector, false);
  };

  /** @internal */
  get keyedOrigin(): StreamOrigin {
    return this.origin;
  }

  /** @internal */
  get selector(): KeySelector<T, K> {
    return this.keySelector;
  }

  /**
   * Joins each element with the other stream's elements of the same key whose timestamps lie within an interval of
   * its own: `.between(lowerMs, upperMs).process(fn)` (Flink's interval join, inner).
   */
  intervalJoin<R>(other: KeyedStream<R, K>): IntervalJoin<T, R, K> {
    return new IntervalJoin<T, R, K>({
      graph: this.graph,
      left: this.origin,
      right: other.keyedOrigin,
      leftKey: this.keySelector,
      rightKey: other.selector,
    });
  }

  /** Cuts the keyed stream into windows (tumbling, sliding, session or global). */
  window<W extends Window>(assigner: WindowAssigner<W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this.keyed, this.keySelector, assigner);
  }

  process<O>(fn: KeyedProcessFunction<K, T, O>): SingleOutputStream<O> {
    return this.keyed('keyedProcess', keyedProcessOperator(this.keySelector, fn));
  }

  /** Running reduce: emits the accumulated value for the record's key after each record. */
  reduce(fn: ReduceFunction<T>): SingleOutputStream<T> {
    return this.keyed('reduce', keyedReduceOperator(this.keySelector, fn));
  }
}

/** The end of a pipeline; only naming and parallelism remain. */
export class SinkStream {
  /** @internal */
  constructor(
    private readonly graph: LogicalGraph,
    private readonly nodeId: number,
  ) {}
  name(name: string): this {
    this.graph.node(this.nodeId).name = name;
    return this;
  }
  uid(uid: string): this {
    this.graph.node(this.nodeId).uid = uid;
    return this;
  }
  setParallelism(parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new RangeError(`parallelism must be a positive integer, got ${parallelism}`);
    this.graph.node(this.nodeId).parallelism = parallelism;
    return this;
  }
}

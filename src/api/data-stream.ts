import type {
  FilterFunction,
  FlatMapFunction,
  KeyedProcessFunction,
  KeySelector,
  MapFunction,
  ProcessFunction,
  ReduceFunction,
  UndeclaredOutput,
} from '../operators/functions.ts';
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
import { AllWindowedStream } from './all-windowed-stream.ts';
import { ConsoleSink } from '../connectors/console.ts';
import { GlobalWindows, type WindowAssigner } from '../operators/window/assigners.ts';
import { CountTrigger, PurgingTrigger } from '../operators/window/triggers.ts';
import type { GlobalWindow, Window } from '../operators/window/windows.ts';

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

  /** Output type: from what `fn` returns, or its `out: Collector<Out>`; see {@link UndeclaredOutput}. */
  flatMap<O = UndeclaredOutput>(fn: FlatMapFunction<T, O>): SingleOutputStream<O> {
    return this.addOperator('flatMap', flatMapOperator(fn));
  }

  /** Output type: see {@link UndeclaredOutput} (give it as `process<Out>` or by typing `out`). */
  process<O = UndeclaredOutput>(fn: ProcessFunction<T, O>): SingleOutputStream<O> {
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

  /**
   * Prints every record to stdout as JSON, one line each, prefixed with the subtask (`2> `) at parallelism > 1, and
   * with `identifier` (`scores:2> `, `scores> `) when given: Flink's print().
   */
  print(identifier?: string): SinkStream {
    const options = identifier === undefined ? { prefixSubtask: true } : { prefixSubtask: true, identifier };
    return this.sinkTo(new ConsoleSink<T>(options)).name(identifier === undefined ? 'print' : `print-${identifier}`);
  }

  /**
   * Windows over the whole stream, not per key (Flink's windowAll): one subtask sees every record. It runs as a
   * keyed window on a constant key at parallelism 1 (a higher parallelism would leave the other subtasks idle).
   */
  windowAll<W extends Window>(assigner: WindowAssigner<W>): AllWindowedStream<T, W> {
    const everything = this.keyBy(constantKey);
    return new AllWindowedStream(everything.window(assigner));
  }

  /** {@link KeyedStream.countWindow} over the whole stream (Flink's countWindowAll), at parallelism 1. */
  countWindowAll(size: number, slide?: number): AllWindowedStream<T, GlobalWindow> {
    return new AllWindowedStream(this.keyBy(constantKey).countWindow(size, slide));
  }
}

/** The key of windowAll: every record in one window per window, as Flink's NullByteKeySelector. */
const constantKey = (): 0 => 0;

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

/**
 * A stream partitioned by key. It is a DataStream, as in Flink: `map`, `filter`, `sinkTo`... after `keyBy` run on
 * the key's partitioning (every record of a key reaches the same subtask) and give plain streams, while `process`,
 * `reduce`, `window`, `countWindow` and `intervalJoin` are keyed operators with per-key state and timers.
 */
export class KeyedStream<T, K> extends DataStream<T> {
  /** @internal */
  constructor(
    graph: LogicalGraph,
    origin: StreamOrigin,
    private readonly keySelector: KeySelector<T, K>,
  ) {
    super(graph, origin);
  }

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
    return new WindowedStream<T, K, W>(this.keyed, this.keySelector, assigner, undefined);
  }

  /**
   * Count windows per key (Flink's countWindow): without `slide`, a window of every `size` elements of a key
   * (GlobalWindows with a purging CountTrigger); with it, every `slide` elements a window of the key's last `size`
   * (GlobalWindows, CountTrigger of `slide`, and Flink's CountEvictor of `size`, which drops older elements when the
   * window fires). An incomplete last group is not emitted when input ends, as in Flink.
   */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    if (!(Number.isInteger(size) && size > 0)) throw new RangeError(`countWindow needs a positive integer size, got ${size}`);
    const windows = new WindowedStream<T, K, GlobalWindow>(this.keyed, this.keySelector, GlobalWindows.create(), slide === undefined ? undefined : size);
    return slide === undefined ? windows.trigger(PurgingTrigger.of(CountTrigger.of(size))) : windows.trigger(CountTrigger.of(slide));
  }

  /**
   * A keyed process function: per-key state and timers through `ctx`. A plain ProcessFunction is accepted too (as
   * Flink's deprecated KeyedStream.process(ProcessFunction)). Output type: see {@link UndeclaredOutput}.
   */
  override process<O = UndeclaredOutput>(fn: KeyedProcessFunction<K, T, O>): SingleOutputStream<O> {
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

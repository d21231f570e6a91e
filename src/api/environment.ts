import { LogicalGraph, type SourceNode } from './graph.ts';
import { SingleOutputStream } from './data-stream.ts';
import type { Source } from '../connectors/source.ts';
import { ElementsSource } from '../connectors/memory.ts';
import { DEFAULT_MAX_PARALLELISM } from '../state/key-groups.ts';

/** How records travel between threads; the defaults suit both throughput and latency. */
export interface ExchangeOptions {
  /** Records per batch sent between subtasks. */
  batchSize: number;
  /** A partly filled batch is sent after this many milliseconds. */
  lingerMs: number;
  /** Batches a receiver lets each sender have in flight (credit-based flow control). */
  credits: number;
}

export const DEFAULT_EXCHANGE: Readonly<ExchangeOptions> = { batchSize: 1024, lingerMs: 5, credits: 4 };

function checkPositiveInteger(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, got ${value}`);
}

/** Collects the job's dataflow; the same program runs on the coordinator (to plan) and in every worker (to execute). */
export class StreamExecutionEnvironment {
  /** @internal */
  readonly graph = new LogicalGraph();
  /** @internal */
  parallelism: number | undefined;
  /** @internal */
  maxParallelism = DEFAULT_MAX_PARALLELISM;
  /** @internal */
  readonly exchange: ExchangeOptions = { ...DEFAULT_EXCHANGE };

  /** Default parallelism of this job's operators; overrides the `--parallelism` flag, as in Flink. */
  setParallelism(parallelism: number): this {
    checkPositiveInteger('parallelism', parallelism);
    this.parallelism = parallelism;
    return this;
  }

  /** Number of key groups: the upper bound for rescaling keyed state. */
  setMaxParallelism(maxParallelism: number): this {
    checkPositiveInteger('max parallelism', maxParallelism);
    this.maxParallelism = maxParallelism;
    return this;
  }

  setExchangeOptions(options: Partial<ExchangeOptions>): this {
    for (const [name, value] of Object.entries(options)) {
      if (name === 'lingerMs') {
        if (!(typeof value === 'number' && value >= 0)) throw new RangeError(`lingerMs must be >= 0, got ${value}`);
      } else checkPositiveInteger(name, value);
    }
    Object.assign(this.exchange, options);
    return this;
  }

  fromSource<T>(source: Source<T>, name: string = source.name): SingleOutputStream<T> {
    const node = this.graph.add<SourceNode>((id) => ({
      id,
      kind: 'source',
      name,
      uid: undefined,
      parallelism: undefined,
      inputs: [],
      source: source as Source<unknown>,
    }));
    return new SingleOutputStream<T>(this.graph, { nodeId: node.id, sideOutput: undefined, partitioning: undefined });
  }

  /** A bounded stream of the given records, read by one subtask. */
  fromElements<T>(...elements: T[]): SingleOutputStream<T> {
    return this.fromSource(new ElementsSource(elements), 'elements');
  }

  fromCollection<T>(elements: Iterable<T>): SingleOutputStream<T> {
    return this.fromSource(new ElementsSource([...elements]), 'collection');
  }
}

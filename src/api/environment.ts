import { LogicalGraph, type SourceNode } from './graph.ts';
import { SingleOutputStream } from './data-stream.ts';
import type { Source } from '../connectors/source.ts';
import type { WatermarkStrategy } from './watermark-strategy.ts';
import { ElementsSource } from '../connectors/memory.ts';
import { DEFAULT_MAX_PARALLELISM } from '../state/key-groups.ts';
import { DEFAULT_CHECKPOINT_TIMEOUT_MS, type CheckpointSettings } from '../checkpoint/checkpoint-scheduler.ts';
import { RestartStrategy, type RestartStrategyConfig } from './restart-strategy.ts';

/** Periodic checkpoints (docs/architecture.md, decision 7), as Flink's CheckpointConfig. */
export interface CheckpointConfig {
  /** From one checkpoint's start to the next. */
  readonly intervalMs: number;
  /** A checkpoint not complete by then is aborted; 10 minutes by default. */
  readonly timeoutMs?: number;
  /** At least this long between the end of one checkpoint and the start of the next; 0 by default. */
  readonly minPauseMs?: number;
  /** Completed checkpoints kept; 3 by default. */
  readonly retained?: number;
}

export interface ResolvedCheckpointConfig extends CheckpointSettings {
  readonly retained: number;
}

/** With checkpoints on and no strategy set: restart with backoff, as Flink restarts checkpointed jobs by default. */
export const DEFAULT_RESTART_STRATEGY: RestartStrategyConfig = {
  kind: 'exponential-backoff',
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  resetAfterMs: 3_600_000,
  attempts: 10,
};

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
  /** @internal */
  autoWatermarkIntervalMs = 200;
  /** @internal */
  stateCacheEntries = 100_000;
  /** @internal */
  checkpointing: ResolvedCheckpointConfig | undefined;
  /** @internal */
  restartStrategy: RestartStrategyConfig | undefined;

  /** Takes a checkpoint every `intervalMs`; a failed attempt restarts from the last completed one. */
  enableCheckpointing(config: CheckpointConfig): this {
    const resolved: ResolvedCheckpointConfig = {
      intervalMs: config.intervalMs,
      timeoutMs: config.timeoutMs ?? DEFAULT_CHECKPOINT_TIMEOUT_MS,
      minPauseMs: config.minPauseMs ?? 0,
      retained: config.retained ?? 3,
    };
    if (!(Number.isFinite(resolved.intervalMs) && resolved.intervalMs > 0)) throw new RangeError(`checkpoint intervalMs must be a positive number, got ${config.intervalMs}`);
    if (!(Number.isFinite(resolved.timeoutMs) && resolved.timeoutMs > 0)) throw new RangeError(`checkpoint timeoutMs must be a positive number, got ${config.timeoutMs}`);
    if (!(Number.isFinite(resolved.minPauseMs) && resolved.minPauseMs >= 0)) throw new RangeError(`checkpoint minPauseMs must be >= 0, got ${config.minPauseMs}`);
    checkPositiveInteger('retained checkpoints', resolved.retained);
    this.checkpointing = resolved;
    return this;
  }

  /** What happens when an attempt fails: none (the default without checkpoints), fixed delay or exponential backoff. */
  setRestartStrategy(config: RestartStrategyConfig): this {
    new RestartStrategy(config); // checks the numbers now, not at the first failure
    this.restartStrategy = config;
    return this;
  }

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

  /**
   * How often sources emit watermarks (ms of processing time), as Flink's auto-watermark interval. 0 emits after
   * every poll: useful in tests that want event time to advance within small inputs.
   */
  setAutoWatermarkInterval(intervalMs: number): this {
    if (!(Number.isFinite(intervalMs) && intervalMs >= 0)) throw new RangeError(`watermark interval must be >= 0, got ${intervalMs}`);
    this.autoWatermarkIntervalMs = intervalMs;
    return this;
  }

  /** Keyed state: entries each operator subtask keeps in memory in front of LMDB (the write-back cache). */
  setStateCacheEntries(entries: number): this {
    checkPositiveInteger('state cache entries', entries);
    this.stateCacheEntries = entries;
    return this;
  }

  /** Reads a source; a watermark strategy gives its records event time and its splits watermarks. */
  fromSource<T>(source: Source<T>, watermarkStrategy?: WatermarkStrategy<T>, name: string = source.name): SingleOutputStream<T> {
    const node = this.graph.add<SourceNode>((id) => ({
      id,
      kind: 'source',
      name,
      uid: undefined,
      parallelism: undefined,
      inputs: [],
      source: source as Source<unknown>,
      watermarkStrategy: watermarkStrategy as WatermarkStrategy<unknown> | undefined,
    }));
    return new SingleOutputStream<T>(this.graph, { nodeId: node.id, sideOutput: undefined, partitioning: undefined });
  }

  /** A bounded stream of the given records, read by one subtask. */
  fromElements<T>(...elements: T[]): SingleOutputStream<T> {
    return this.fromSource(new ElementsSource(elements), undefined, 'elements');
  }

  fromCollection<T>(elements: Iterable<T>): SingleOutputStream<T> {
    return this.fromSource(new ElementsSource([...elements]), undefined, 'collection');
  }
}

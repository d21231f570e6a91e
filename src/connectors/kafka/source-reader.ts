import type { PollResult, ReaderOutput, SourceReader } from '../source.ts';
import { describeError, WeirError } from '../../core/errors.ts';
import { partitionKey } from './client/index.ts';
import { KafkaPartitionReader } from './partition-reader.ts';
import type { KafkaSourceOptions } from './source.ts';

const DEFAULT_DISCOVERY_MS = 60_000;
/** How long an empty poll waits before the runtime polls again. */
export const IDLE_POLL_MS = 5;

/** A Kafka reader's checkpointed position: the next offset of each partition it owns. */
export interface KafkaSourcePosition {
  readonly offsets: Readonly<Record<string, number>>;
}

type ReaderOptions<T> = Omit<KafkaSourceOptions<T>, 'topics'> & {
  readonly topics: readonly string[];
  /** The subtask's RuntimeContext.reportStatus (partitions' lag after each commit). */
  readonly reportStatus?: (kind: string, status: unknown) => void;
};

/**
 * One subtask's Kafka reader: the partitions it owns on the one cluster (partition-reader.ts), looked for again
 * every `partitionDiscoveryMs`. A fetch that the client gives up on fails the job (it restarts from its checkpoint).
 */
export class KafkaSourceReader<T> implements SourceReader<T> {
  private readonly partitions: KafkaPartitionReader<T>;
  private failure: unknown;
  private nextDiscoveryAt = 0;
  private readonly discoveryMs: number;

  constructor(
    private readonly options: ReaderOptions<T>,
    /** This reader's subtask, and the source's operator name (dead letters carry it). */
    me: { readonly subtask: number; readonly parallelism: number; readonly operator: string },
    private readonly restored: ReadonlyMap<string, number> | undefined,
  ) {
    this.discoveryMs = options.partitionDiscoveryMs ?? DEFAULT_DISCOVERY_MS;
    this.partitions = new KafkaPartitionReader<T>(
      { ...options, clientId: `weir-source-${me.subtask}`, onFailure: (error) => (this.failure = error) },
      me,
      restored,
    );
  }

  async open(): Promise<void> {
    await this.partitions.open(this.restored === undefined ? this.options.startFrom ?? 'committed' : 'earliest');
    this.nextDiscoveryAt = Date.now() + this.discoveryMs;
  }

  poll(output: ReaderOutput<T>, max: number): PollResult | Promise<PollResult> {
    if (this.failure !== undefined) throw new WeirError(`the Kafka consumer failed: ${describeError(this.failure)}`, { cause: this.failure, retriable: true });
    if (this.discoveryMs > 0 && this.options.bounded !== true && Date.now() >= this.nextDiscoveryAt) return this.rediscover();
    this.partitions.drain(output, max);
    if (this.options.bounded === true && this.partitions.assignment.finishedBounded(output)) return 'end';
    return this.partitions.buffered > 0 ? 'more' : { waitMs: IDLE_POLL_MS };
  }

  snapshotState(checkpointId?: number): KafkaSourcePosition {
    const positions = checkpointId === undefined ? this.partitions.positions() : this.partitions.snapshot(checkpointId);
    return { offsets: Object.fromEntries(positions.map((position) => [partitionKey(position), position.offset])) };
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    await this.partitions.complete(checkpointId);
  }

  async close(): Promise<void> {
    await this.partitions.close();
  }

  /** Looks for new partitions (a few ms, once per interval). */
  private async rediscover(): Promise<PollResult> {
    this.nextDiscoveryAt = Date.now() + this.discoveryMs;
    await this.partitions.rediscover();
    return 'more';
  }
}

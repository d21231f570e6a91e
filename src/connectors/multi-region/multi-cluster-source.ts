import type { Source, SourceReader } from '../source.ts';
import { WeirError } from '../../core/errors.ts';
import type { RuntimeContext } from '../../core/runtime-context.ts';
import { deserializers, type Deserializer } from '../kafka/serde.ts';
import type { StartingOffsets } from '../kafka/source.ts';
import type { ClusterMetadataProvider } from './cluster-metadata.ts';
import { DEFAULT_MAX_INTERVALS } from './epoch-dedup.ts';
import { MultiClusterSourceReader } from './multi-cluster-reader.ts';
import { takeRestoredShare } from './source-state.ts';

export interface MultiClusterSourceOptions<T> {
  /** The logical stream to read: every placement (cluster, topics) the metadata gives it. */
  readonly stream: string;
  readonly metadata: ClusterMetadataProvider;
  /** The consumer group, on every cluster, whose offsets weir commits when a checkpoint completes (for lag and tools). */
  readonly groupId: string;
  readonly deserializer: Deserializer<T>;
  /** Where partitions start at the job's first start (no checkpoint); default 'earliest'. */
  readonly startFrom?: StartingOffsets;
  /** Where a cluster added while the job runs (or since its checkpoint) starts, unless it has retained positions; default 'earliest'. */
  readonly newClustersStartFrom?: StartingOffsets;
  /** How long a removed cluster's positions are kept for its return, in ms; default 7 days. */
  readonly offsetRetentionMs?: number;
  /**
   * While a cluster is unreachable, its splits are idle for watermarks at once (default: the others' event time goes
   * on; its records may come late when it returns) or 'hold' the watermark back until it returns. A bounded source
   * always holds.
   */
  readonly unreachable?: 'idle' | 'hold';
  /** How long one call to one cluster may take before that cluster counts as down, in ms; default 10 s. */
  readonly requestTimeoutMs?: number;
  /** How often each cluster is asked for its end offsets (lag, and whether it answers), in ms; default min(5 s, requestTimeoutMs). */
  readonly healthCheckMs?: number;
  /** How often each cluster's partitions are looked for again, in ms; 0 turns it off. Default 60 s. */
  readonly partitionDiscoveryMs?: number;
  /** Read each cluster up to the end offsets found when it was opened, then finish. */
  readonly bounded?: boolean;
  /** Records buffered per cluster per subtask before its partitions are paused. Default 10,000. */
  readonly maxBufferedRecords?: number;
  /** Read records of aborted and open transactions too; default false (read_committed). */
  readonly readUncommitted?: boolean;
  /** Kafka's `session.timeout.ms` for each cluster's reader groups (KafkaSourceOptions.sessionTimeoutMs); default 30 s. */
  readonly sessionTimeoutMs?: number;
  /** Drop the copies of a multi-cluster sink's epochs that another cluster delivered first (`weir-id` header); default true. */
  readonly dedup?: boolean;
  /** Epoch intervals kept per (producer, share, partition) for the dedup; default 1,000 (the oldest are forgotten). */
  readonly dedupMaxIntervals?: number;
}

export type MultiClusterWithoutDeserializer<T> = Omit<MultiClusterSourceOptions<T>, 'deserializer'>;

/**
 * Reads one logical stream from every cluster the metadata places it on (docs/multi-region.md). Splits are
 * (cluster, topic, partition), `cluster/topic:partition`; a split belongs to subtask ownerOf(topic, partition)
 * whatever its cluster, so every copy of a partition meets in one subtask (the dedup needs it). Each cluster has its
 * own client and is isolated from the others: one that stops answering never fails or stalls the job.
 */
export class MultiClusterKafkaSource<T> implements Source<T> {
  readonly name: string;
  readonly boundedness: 'bounded' | 'unbounded';

  static json<T>(options: MultiClusterWithoutDeserializer<T>): MultiClusterKafkaSource<T> {
    return new MultiClusterKafkaSource({ ...options, deserializer: deserializers.json<T>() });
  }

  static msgpack<T>(options: MultiClusterWithoutDeserializer<T>): MultiClusterKafkaSource<T> {
    return new MultiClusterKafkaSource({ ...options, deserializer: deserializers.msgpack<T>() });
  }

  static string(options: MultiClusterWithoutDeserializer<string>): MultiClusterKafkaSource<string> {
    return new MultiClusterKafkaSource({ ...options, deserializer: deserializers.string() });
  }

  static bytes(options: MultiClusterWithoutDeserializer<Buffer | null>): MultiClusterKafkaSource<Buffer | null> {
    return new MultiClusterKafkaSource({ ...options, deserializer: deserializers.bytes() });
  }

  constructor(private readonly options: MultiClusterSourceOptions<T>) {
    if (typeof options.stream !== 'string' || options.stream === '') throw new WeirError('a multi-cluster Kafka source needs a `stream`');
    if (options.metadata === undefined) throw new WeirError('a multi-cluster Kafka source needs `metadata` (clusterMetadata.static/file/http)');
    if (typeof options.groupId !== 'string' || options.groupId === '') throw new WeirError('a multi-cluster Kafka source needs a `groupId`');
    if (options.unreachable !== undefined && options.unreachable !== 'idle' && options.unreachable !== 'hold') {
      throw new WeirError(`a multi-cluster Kafka source's \`unreachable\` is 'idle' or 'hold', not ${JSON.stringify(options.unreachable)}`);
    }
    for (const name of ['requestTimeoutMs', 'healthCheckMs', 'offsetRetentionMs', 'dedupMaxIntervals', 'sessionTimeoutMs'] as const) {
      const value = options[name];
      if (value !== undefined && !(value > 0)) throw new WeirError(`a multi-cluster Kafka source's \`${name}\` must be above 0 (got ${value})`);
    }
    // Dedup gives an epoch to the first cluster that delivers any of it: an uncommitted, later aborted copy would win
    // over the complete one and the complete one would be dropped.
    if (options.readUncommitted === true && options.dedup !== false) {
      throw new WeirError('a multi-cluster Kafka source that reads uncommitted records cannot deduplicate epochs: set `dedup: false` with `readUncommitted: true`');
    }
    this.boundedness = options.bounded === true ? 'bounded' : 'unbounded';
    this.name = `kafka-multi:${options.stream}`;
  }

  createReader(ctx: RuntimeContext, restored?: readonly unknown[]): SourceReader<T> {
    const share = restored === undefined ? undefined : takeRestoredShare(restored, ctx.subtaskIndex, ctx.parallelism);
    return new MultiClusterSourceReader<T>({ ...this.options, dedupMaxIntervals: this.options.dedupMaxIntervals ?? DEFAULT_MAX_INTERVALS }, ctx, share);
  }
}

import type { Committer, SinkContext, TransactionalSink, TransactionalSinkWriter } from '../sink.ts';
import type { SnapshotFiles } from '../../core/snapshot-files.ts';
import { WeirError } from '../../core/errors.ts';
import { EpochLogs, KafkaEpochWriter } from '../kafka/epoch-writer.ts';
import { outgoingRecord, type OutgoingRecordOptions } from '../kafka/outgoing.ts';
import { serializers, type Serializer } from '../kafka/serde.ts';
import type { ClusterMetadataProvider } from './cluster-metadata.ts';
import { RECORD_ID_HEADER } from './record-id.ts';
import { ShareCommitter } from './share-committer.ts';
import { RecordPartitioner, type ClusterEpoch } from './shares.ts';
import { SinkClusters } from './sink-clusters.ts';

const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;
/** At least: the first takeover on a fresh broker creates its transaction log, seconds on a loaded machine. */
const DEFAULT_TAKEOVER_TIMEOUT_MS = 30_000;
const DEFAULT_HEALTH_CHECK_INTERVAL_MS = 2_000;
const DEFAULT_FAILBACK_AFTER_MS = 30_000;
/** kafkajs's default; the broker's transaction.max.timeout.ms (15 min by default) caps it. */
const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;
/** A health check or admin call may take this long at most (less when publishes may take less). */
const MAX_CALL_TIMEOUT_MS = 5_000;

export interface MultiClusterKafkaSinkOptions<T> {
  /** The logical stream written: its placements in the metadata, in order, are the clusters in order of preference. */
  readonly stream: string;
  readonly metadata: ClusterMetadataProvider;
  readonly serializer: Serializer<T>;
  /** The record's key: it chooses the partition (as Java's client does) and, in multiplex mode, the cluster. */
  readonly key?: (record: T) => Buffer | string | null;
  /** Headers of the record's own; `weir-id` is the sink's. */
  readonly headers?: (record: T) => Record<string, Buffer | string>;
  /**
   * 'failover' (default): each epoch goes whole to the first healthy cluster. 'multiplex': each epoch's records are
   * spread over the healthy clusters by key (order across clusters is not kept).
   */
  readonly mode?: 'failover' | 'multiplex';
  /** A cluster that failed receives epochs again once it has been healthy for `failbackAfterMs` (default true, 30 s). */
  readonly failback?: boolean;
  readonly failbackAfterMs?: number;
  /**
   * How long one cluster's publish of a share may take before the share goes to the next cluster (the cluster counts as
   * failed); default 10 s. A share waits as long for a takeover under way before it tries the next cluster meanwhile.
   */
  readonly publishTimeoutMs?: number;
  /**
   * How long taking over a transactional id on a cluster may take (the first on a fresh broker creates its transaction
   * log) before it is given up and the cluster counts as failed; default the larger of 30 s and `publishTimeoutMs`.
   * A slower takeover is no failure: the share goes to the next cluster meanwhile, and the cluster is used once it answers.
   */
  readonly takeoverTimeoutMs?: number;
  /** How often each cluster is checked (an admin call with a time limit); default 2 s. */
  readonly healthCheckIntervalMs?: number;
  /** Transactional ids are `<prefix>-<subtask>@<share cluster>`; default `weir-<job id>-<operator id>`. */
  readonly transactionalIdPrefix?: string;
  /** Kafka's transaction timeout; default 60 s, at least the checkpoint interval, at most each broker's cap. */
  readonly transactionTimeoutMs?: number;
}

/** The options of `MultiClusterKafkaSink.json`, `msgpack` and `string`. */
export type MultiClusterSinkOptionsWithoutSerializer<T> = Omit<MultiClusterKafkaSinkOptions<T>, 'serializer'>;

/** What one sink subtask's writer and committer share. */
interface SubtaskParts {
  readonly logs: EpochLogs;
  readonly clusters: SinkClusters;
}

/**
 * Writes a logical stream to several Kafka clusters, exactly-once per cluster (docs/multi-region.md): each epoch's
 * records are kept in the checkpoint, shared out over clusters at the barrier that closes it (failover or multiplex),
 * and each share is published in one transaction with its own marker when the checkpoint completes.
 */
export class MultiClusterKafkaSink<T> implements TransactionalSink<T, ClusterEpoch> {
  readonly name: string;
  private readonly parts = new WeakMap<SinkContext, SubtaskParts>();

  static json<T>(options: MultiClusterSinkOptionsWithoutSerializer<T>): MultiClusterKafkaSink<T> {
    return new MultiClusterKafkaSink({ ...options, serializer: serializers.json<T>() });
  }

  static msgpack<T>(options: MultiClusterSinkOptionsWithoutSerializer<T>): MultiClusterKafkaSink<T> {
    return new MultiClusterKafkaSink({ ...options, serializer: serializers.msgpack<T>() });
  }

  static string(options: MultiClusterSinkOptionsWithoutSerializer<string>): MultiClusterKafkaSink<string> {
    return new MultiClusterKafkaSink({ ...options, serializer: serializers.string() });
  }

  constructor(private readonly options: MultiClusterKafkaSinkOptions<T>) {
    if (typeof options.stream !== 'string' || options.stream === '') throw new WeirError('a MultiClusterKafkaSink needs a stream name');
    if (options.mode !== undefined && options.mode !== 'failover' && options.mode !== 'multiplex') {
      throw new WeirError(`MultiClusterKafkaSink mode must be 'failover' or 'multiplex', not ${JSON.stringify(options.mode)}`);
    }
    for (const name of ['failbackAfterMs', 'publishTimeoutMs', 'takeoverTimeoutMs', 'healthCheckIntervalMs', 'transactionTimeoutMs'] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new WeirError(`MultiClusterKafkaSink ${name} must be a number above 0 (got ${value})`);
    }
    this.name = `kafka-multi-cluster:${options.stream}`;
  }

  createWriter(ctx: SinkContext): TransactionalSinkWriter<T, ClusterEpoch> {
    return new MultiClusterEpochWriter(this.options, ctx, this.partsOf(ctx));
  }

  createCommitter(ctx: SinkContext, restoredFrom = 0): Committer<ClusterEpoch> {
    const { publishTimeoutMs = DEFAULT_PUBLISH_TIMEOUT_MS, healthCheckIntervalMs = DEFAULT_HEALTH_CHECK_INTERVAL_MS } = this.options;
    const settings = {
      transactionalIdPrefix: this.options.transactionalIdPrefix ?? `weir-${ctx.jobId}-${ctx.operatorId}`,
      transactionTimeoutMs: this.options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS,
      publishTimeoutMs,
      takeoverTimeoutMs: this.options.takeoverTimeoutMs ?? Math.max(DEFAULT_TAKEOVER_TIMEOUT_MS, publishTimeoutMs),
      retryWaitMs: healthCheckIntervalMs,
    };
    const { logs, clusters } = this.partsOf(ctx);
    return new ShareCommitter(settings, ctx, restoredFrom, logs, clusters);
  }

  private partsOf(ctx: SinkContext): SubtaskParts {
    let parts = this.parts.get(ctx);
    if (parts !== undefined) return parts;
    const { stream, metadata, mode = 'failover', failback = true, failbackAfterMs = DEFAULT_FAILBACK_AFTER_MS } = this.options;
    const { publishTimeoutMs = DEFAULT_PUBLISH_TIMEOUT_MS, healthCheckIntervalMs = DEFAULT_HEALTH_CHECK_INTERVAL_MS } = this.options;
    const callTimeoutMs = Math.min(publishTimeoutMs, MAX_CALL_TIMEOUT_MS);
    const clusters = new SinkClusters({ stream, metadata, mode, failback, failbackAfterMs, healthCheckIntervalMs, callTimeoutMs }, ctx);
    this.parts.set(ctx, (parts = { logs: new EpochLogs(), clusters }));
    return parts;
  }
}

/**
 * Keeps each epoch's records in an epoch log, as the exactly-once Kafka sink's writer does (KafkaEpochWriter), each
 * partitioned by the sink itself; at the barrier the epoch's shares are decided and kept with it.
 */
class MultiClusterEpochWriter<T> implements TransactionalSinkWriter<T, ClusterEpoch> {
  private readonly epochs: KafkaEpochWriter<T>;
  private readonly recordOptions: OutgoingRecordOptions<T>;
  private partitioner: RecordPartitioner | undefined;
  private started = false;

  constructor(
    options: MultiClusterKafkaSinkOptions<T>,
    ctx: SinkContext,
    private readonly parts: SubtaskParts,
  ) {
    // The topic is each cluster's own, set when a share is published there.
    this.recordOptions = { topic: '', serializer: options.serializer, ...(options.key === undefined ? {} : { key: options.key }), ...(options.headers === undefined ? {} : { headers: options.headers }) };
    this.epochs = new KafkaEpochWriter(this.recordOptions, ctx, parts.logs);
  }

  async open(): Promise<void> {
    this.started = true;
    await this.parts.clusters.start();
    this.partitioner = new RecordPartitioner(this.parts.clusters.partitions);
  }

  write(record: T): void {
    const outgoing = outgoingRecord(this.recordOptions, record);
    const { message } = outgoing;
    if (message.headers !== undefined && RECORD_ID_HEADER in message.headers) {
      throw new WeirError(`a record of a MultiClusterKafkaSink has a '${RECORD_ID_HEADER}' header of its own: the sink sets that header, rename the record's`);
    }
    const value = message.value;
    message.partition = this.partitioner!.partitionOf(message.key, value === null ? 0 : typeof value === 'string' ? value.length : value.length);
    this.epochs.append(outgoing);
  }

  flush(): Promise<void> | undefined {
    return this.epochs.flush();
  }

  async prepareCommit(checkpointId: number): Promise<ClusterEpoch[]> {
    // Every barrier: a metadata change applies and health is reported even when the epoch is empty.
    const shares = this.parts.clusters.decide(checkpointId);
    const partitions = this.parts.clusters.partitions;
    return (await this.epochs.prepareCommit(checkpointId)).map((epoch) => ({ ...epoch, shares, partitions }));
  }

  async snapshotPending(epochs: readonly ClusterEpoch[], files: SnapshotFiles): Promise<ClusterEpoch[]> {
    const byEpoch = new Map(epochs.map((epoch) => [epoch.epoch, epoch]));
    const stored = await this.epochs.snapshotPending(epochs, files);
    return stored.map((epoch) => ({ ...byEpoch.get(epoch.epoch)!, ...epoch }));
  }

  async published(epochs: readonly ClusterEpoch[]): Promise<void> {
    await this.epochs.published(epochs);
  }

  async close(): Promise<void> {
    await this.epochs.close();
    if (this.started) {
      this.started = false;
      await this.parts.clusters.release();
    }
  }
}

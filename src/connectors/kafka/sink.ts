import type { Committer, Sink, SinkContext, SinkWriter } from '../sink.ts';
import { describeError, WeirError } from '../../core/errors.ts';
import { createKafkaClient, type KafkaAdmin, type KafkaConnectionOptions, type KafkaProducer } from './client/index.ts';
import { EpochLogs, KafkaEpochWriter, type KafkaEpoch } from './epoch-writer.ts';
import { toOutgoing, type OutgoingRecordOptions } from './outgoing.ts';
import { PartitionBatcher } from './partition-batcher.ts';
import { PartitionCounts } from './partition-counts.ts';
import { serializers } from './serde.ts';
import { KafkaTransactionCommitter, type TransactionSettings } from './transaction-committer.ts';
import type { RuntimeContext } from '../../core/runtime-context.ts';

/** Unacknowledged records a writer lets build up before it waits for Kafka (backpressure). */
const DEFAULT_MAX_IN_FLIGHT_RECORDS = 50_000;
/** kafkajs's default; the broker's transaction.max.timeout.ms (15 min by default) caps it. */
const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;

export interface KafkaSinkOptions<T> extends KafkaConnectionOptions, OutgoingRecordOptions<T> {
  /**
   * 'at-least-once' (default): every record is acknowledged by Kafka before the checkpoint after it completes, so a
   * restore may send records again but never loses one. 'none': no wait at checkpoints.
   */
  readonly deliveryGuarantee?: 'at-least-once' | 'none';
  readonly maxInFlightRecords?: number;
  /**
   * Exactly-once: each epoch's records are kept in the checkpoint and published in one Kafka transaction when the
   * checkpoint completes (read_committed consumers see them then, as with Flink's exactly-once KafkaSink).
   */
  readonly exactlyOnce?: boolean;
  /** Exactly-once: transactional ids are `<prefix>-<subtask>`; default `weir-<job id>-<operator id>`. */
  readonly transactionalIdPrefix?: string;
  /** Exactly-once: Kafka's transaction timeout; default 60 s, at least the checkpoint interval, at most the broker's cap. */
  readonly transactionTimeoutMs?: number;
  /**
   * Exactly-once: the topic whose partition 0 carries each subtask's epoch marker (an offset committed under the
   * transactional id); default the sink's topic, required when the topic is chosen per record.
   */
  readonly markerTopic?: string;
}

/** The options of `KafkaSink.json`, `msgpack` and `string`: those of a KafkaSink, whose serializer they choose. */
export type WithoutSerializer<T> = Omit<KafkaSinkOptions<T>, 'serializer'>;

/**
 * Writes records to Kafka: at-least-once through an idempotent producer per sink subtask, or exactly-once through
 * transactions published when checkpoints complete (`exactlyOnce: true`).
 */
export class KafkaSink<T> implements Sink<T> {
  readonly name: string;
  /** Present for exactly-once sinks only: the runtime treats a sink with a committer as transactional (two-phase). */
  readonly createCommitter?: (ctx: SinkContext, restoredFrom?: number) => Committer<KafkaEpoch>;

  static json<T>(options: WithoutSerializer<T>): KafkaSink<T> {
    return new KafkaSink({ ...options, serializer: serializers.json<T>() });
  }

  static msgpack<T>(options: WithoutSerializer<T>): KafkaSink<T> {
    return new KafkaSink({ ...options, serializer: serializers.msgpack<T>() });
  }

  static string(options: WithoutSerializer<string>): KafkaSink<string> {
    return new KafkaSink({ ...options, serializer: serializers.string() });
  }

  constructor(private readonly options: KafkaSinkOptions<T>) {
    this.name = `kafka:${typeof options.topic === 'string' ? options.topic : 'by-record'}`;
    if (options.exactlyOnce === true) {
      const markerTopic = options.markerTopic ?? (typeof options.topic === 'string' ? options.topic : undefined);
      if (markerTopic === undefined) throw new WeirError('an exactly-once KafkaSink whose topic is chosen per record needs a markerTopic');
      this.createCommitter = (ctx, restoredFrom = 0) => new KafkaTransactionCommitter(this.transactionSettings(ctx, markerTopic), ctx, restoredFrom, this.epochLogsOf(ctx));
    }
  }

  createWriter(ctx: SinkContext): SinkWriter<T> {
    return this.options.exactlyOnce === true ? new KafkaEpochWriter(this.options, ctx, this.epochLogsOf(ctx)) : new KafkaSinkWriter(this.options, ctx);
  }

  /** A subtask's writer and committer share its epoch logs: the writer fills them, the committer publishes from them. */
  private readonly epochLogs = new WeakMap<SinkContext, EpochLogs>();

  private epochLogsOf(ctx: SinkContext): EpochLogs {
    let logs = this.epochLogs.get(ctx);
    if (logs === undefined) this.epochLogs.set(ctx, (logs = new EpochLogs()));
    return logs;
  }

  private transactionSettings(ctx: SinkContext, markerTopic: string): TransactionSettings {
    const { brokers, clientId } = this.options;
    return {
      ...(brokers === undefined ? {} : { brokers }),
      ...(clientId === undefined ? {} : { clientId }),
      transactionalIdPrefix: this.options.transactionalIdPrefix ?? `weir-${ctx.jobId}-${ctx.operatorId}`,
      transactionTimeoutMs: this.options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS,
      markerTopic,
    };
  }
}

/**
 * At-least-once writer: serialises each record once, as it is written, and groups it into its partition's batch
 * (partition-batcher.ts); each flush hands the whole per-partition batches to an idempotent producer.
 */
class KafkaSinkWriter<T> implements SinkWriter<T> {
  private producer: KafkaProducer | undefined;
  private admin: KafkaAdmin | undefined;
  private batcher: PartitionBatcher | undefined;
  private counts: PartitionCounts | undefined;
  /** Sends in order, one after the other; its rejection is the writer's failure. */
  private sending: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private failure: unknown;
  private readonly maxInFlight: number;

  constructor(
    private readonly options: KafkaSinkOptions<T>,
    private readonly ctx: RuntimeContext,
  ) {
    this.maxInFlight = options.maxInFlightRecords ?? DEFAULT_MAX_IN_FLIGHT_RECORDS;
  }

  async open(): Promise<void> {
    const client = createKafkaClient({ ...this.options, clientId: `weir-sink-${this.ctx.subtaskIndex}` });
    this.admin = await client.admin();
    this.counts = new PartitionCounts(this.admin);
    // A fixed topic's partition count now: a missing topic fails the job at start, with its name.
    if (typeof this.options.topic === 'string') await this.counts.fetch([this.options.topic]);
    this.batcher = new PartitionBatcher(this.counts);
    // Idempotent: a retried send is not written twice.
    this.producer = await client.producer();
  }

  write(record: T): void {
    this.batcher!.add(toOutgoing(this.options, record));
  }

  /** After each input batch: send what was written; wait only when too much is unacknowledged. */
  async flush(): Promise<void> {
    this.throwIfFailed();
    await this.sendPending();
    if (this.inFlight > this.maxInFlight) await this.drained();
  }

  /** At a barrier: what came before it is in Kafka before the checkpoint is acknowledged. */
  async prepareSnapshot(): Promise<void> {
    await this.sendPending();
    if (this.options.deliveryGuarantee !== 'none') await this.drained();
  }

  async finish(): Promise<void> {
    await this.sendPending();
    await this.drained();
  }

  async close(): Promise<void> {
    await this.producer?.close();
    this.producer = undefined;
    await this.counts?.settled();
    await this.admin?.close();
    this.admin = undefined;
  }

  private async sendPending(): Promise<void> {
    const batcher = this.batcher!;
    if (batcher.size === 0) return;
    // Records of a topic first seen since the last send wait for its partition count (rare: a topic chosen per record).
    await batcher.resolve();
    this.counts!.refreshIfStale();
    const count = batcher.size;
    const batches = batcher.drain();
    this.inFlight += count;
    const producer = this.producer!;
    this.sending = this.sending.then(async () => {
      try {
        await producer.send(batches);
      } catch (error) {
        this.failure ??= error;
      } finally {
        this.inFlight -= count;
      }
    });
  }

  private async drained(): Promise<void> {
    await this.sending;
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw new WeirError(`sending to Kafka failed: ${describeError(this.failure)}`, { cause: this.failure, retriable: true });
  }
}

import { Partitioners, type Message, type Producer } from 'kafkajs';
import type { RuntimeContext } from '../../api/functions.ts';
import type { Sink, SinkWriter } from '../sink.ts';
import { describeError, WeirError } from '../../runtime/errors.ts';
import { KafkaClient, type KafkaConnectionOptions } from './client.ts';
import { serializers, type Serializer } from './serde.ts';

/** Unacknowledged records a writer lets build up before it waits for Kafka (backpressure). */
const DEFAULT_MAX_IN_FLIGHT_RECORDS = 50_000;

export interface KafkaSinkOptions<T> extends KafkaConnectionOptions {
  /** The topic, or a function choosing it per record. */
  readonly topic: string | ((record: T) => string);
  readonly serializer: Serializer<T>;
  /** The record's key (the default partitioner hashes it as Java's client does); default none. */
  readonly key?: (record: T) => Buffer | string | null;
  readonly headers?: (record: T) => Record<string, Buffer | string>;
  /** An explicit partition per record; default: by key, or spread when there is none. */
  readonly partition?: (record: T) => number | undefined;
  /**
   * 'at-least-once' (default): every record is acknowledged by Kafka before the checkpoint after it completes, so a
   * restore may send records again but never loses one. 'none': no wait at checkpoints.
   */
  readonly deliveryGuarantee?: 'at-least-once' | 'none';
  readonly maxInFlightRecords?: number;
}

type WithoutSerializer<T> = Omit<KafkaSinkOptions<T>, 'serializer'>;

/** Writes records to Kafka through an idempotent producer per sink subtask. */
export class KafkaSink<T> implements Sink<T> {
  readonly name: string;

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
  }

  createWriter(ctx: RuntimeContext): SinkWriter<T> {
    return new KafkaSinkWriter(this.options, ctx);
  }
}

class KafkaSinkWriter<T> implements SinkWriter<T> {
  private producer: Producer | undefined;
  private pending = new Map<string, Message[]>();
  private pendingCount = 0;
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
    const client = new KafkaClient({ ...this.options, clientId: `weir-sink-${this.ctx.subtaskIndex}` });
    // Idempotent: a retried send is not written twice; kafkajs requires one request in flight for it.
    this.producer = client.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
  }

  write(record: T): void {
    const { options } = this;
    const topic = typeof options.topic === 'string' ? options.topic : options.topic(record);
    const message: Message = { value: options.serializer(record) };
    if (options.key !== undefined) message.key = options.key(record);
    if (options.headers !== undefined) message.headers = options.headers(record);
    const partition = options.partition?.(record);
    if (partition !== undefined) message.partition = partition;
    let messages = this.pending.get(topic);
    if (messages === undefined) this.pending.set(topic, (messages = []));
    messages.push(message);
    this.pendingCount++;
  }

  /** After each input batch: send what was written; wait only when too much is unacknowledged. */
  async flush(): Promise<void> {
    this.throwIfFailed();
    this.sendPending();
    if (this.inFlight > this.maxInFlight) await this.drained();
  }

  /** At a barrier: what came before it is in Kafka before the checkpoint is acknowledged. */
  async prepareSnapshot(): Promise<void> {
    this.sendPending();
    if (this.options.deliveryGuarantee !== 'none') await this.drained();
  }

  async finish(): Promise<void> {
    this.sendPending();
    await this.drained();
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }

  private sendPending(): void {
    if (this.pendingCount === 0) return;
    const topicMessages = [...this.pending].map(([topic, messages]) => ({ topic, messages }));
    const count = this.pendingCount;
    this.pending = new Map();
    this.pendingCount = 0;
    this.inFlight += count;
    const producer = this.producer!;
    this.sending = this.sending.then(async () => {
      try {
        await producer.sendBatch({ topicMessages, acks: -1 });
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

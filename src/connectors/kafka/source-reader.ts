import type { Consumer, EachBatchPayload } from 'kafkajs';
import { rejectRecord } from '../dead-letter.ts';
import { BadRecordError, type PollResult, type ReaderOutput, type SourceOutput, type SourceReader } from '../source.ts';
import { describeError, WeirError } from '../../core/errors.ts';
import { KafkaClient, partitionKey, type KafkaAdmin, type TopicPartition } from './client.ts';
import type { KafkaRecordView } from './serde.ts';
import { createLogger } from '../../observe/logger.ts';
import { ownerOf, type KafkaSourceOptions } from './source.ts';
import { deleteStaleReaderGroups, newReaderGroupName, ownedPartitionsAssigner, READER_SESSION_TIMEOUT_MS } from './reader-groups.ts';

const log = createLogger(undefined, { component: 'kafka-source' });
const DEFAULT_DISCOVERY_MS = 60_000;
const DEFAULT_MAX_BUFFERED = 10_000;
/** How long an empty poll waits before the runtime polls again. */
const IDLE_POLL_MS = 5;

/** A Kafka reader's checkpointed position: the next offset of each partition it owns. */
export interface KafkaSourcePosition {
  readonly offsets: Readonly<Record<string, number>>;
}

/** A consumed record, or a batch's end: a batch of only transaction markers still moves the position past them. */
type Queued = { readonly key: string; readonly record: KafkaRecordView } | { readonly key: string; readonly upTo: number };

interface OwnedPartition<T> {
  readonly tp: TopicPartition;
  /** Its split's output, looked up once (the runtime polls into the same output every time). */
  output: SourceOutput<T> | undefined;
  /** The next offset to emit. */
  next: number;
  /** Bounded sources: the end offset found at start. */
  stopAt: number;
}

type ReaderOptions<T> = Omit<KafkaSourceOptions<T>, 'topics'> & { readonly topics: readonly string[] };

/**
 * One subtask's Kafka reader. kafkajs only consumes through a consumer group, so each reader has a group of its own in
 * which it is the only member (see reader-groups.ts), and an assigner that hands it exactly the partitions this
 * subtask owns. Records wait in a bounded queue between kafkajs's fetches and the runtime's polls;
 * a full queue pauses the partitions. Offsets below a partition's position are dropped (a rejoin replays from the
 * reader group's start), so nothing is emitted twice.
 */
export class KafkaSourceReader<T> implements SourceReader<T> {
  private readonly client: KafkaClient;
  private consumer: Consumer | undefined;
  private readonly owned = new Map<string, OwnedPartition<T>>();
  private queue: Queued[] = [];
  private queueHead = 0;
  private readonly paused = new Set<string>();
  private failure: unknown;
  private readerGroupId: string | undefined;
  private nextDiscoveryAt = 0;
  /** The second look for earlier runs' reader groups, once the sessions of killed processes' members have expired. */
  private staleGroupsTimer: NodeJS.Timeout | undefined;
  /** Positions at each checkpoint, committed to the group when it completes. */
  private readonly snapshots = new Map<number, Map<string, { tp: TopicPartition; offset: number }>>();
  private readonly maxBuffered: number;
  private readonly discoveryMs: number;

  constructor(
    private readonly options: ReaderOptions<T>,
    /** This reader's subtask, and the source's operator name (dead letters carry it). */
    private readonly me: { readonly subtask: number; readonly parallelism: number; readonly operator: string },
    private readonly restored: ReadonlyMap<string, number> | undefined,
  ) {
    this.maxBuffered = options.maxBufferedRecords ?? DEFAULT_MAX_BUFFERED;
    this.discoveryMs = options.partitionDiscoveryMs ?? DEFAULT_DISCOVERY_MS;
    this.client = new KafkaClient({ ...options, clientId: `weir-source-${me.subtask}` });
  }

  async open(): Promise<void> {
    const admin = await this.client.admin();
    try {
      await this.take(admin, await this.discover(admin), this.restored === undefined ? this.options.startFrom ?? 'committed' : 'earliest');
    } finally {
      await admin.close();
    }
    this.nextDiscoveryAt = Date.now() + this.discoveryMs;
    // Reader groups that killed processes left: those whose members' sessions expired go now, the others a little
    // after they expire. Restarts would otherwise pile them up (26 after 20 kills).
    await deleteStaleReaderGroups(this.client, this.options.groupId, this.me);
    this.staleGroupsTimer = setTimeout(() => void deleteStaleReaderGroups(this.client, this.options.groupId, this.me), READER_SESSION_TIMEOUT_MS + 15_000);
    this.staleGroupsTimer.unref();
    await this.startConsumer();
  }

  poll(output: ReaderOutput<T>, max: number): PollResult | Promise<PollResult> {
    if (this.failure !== undefined) throw new WeirError(`the Kafka consumer failed: ${describeError(this.failure)}`, { cause: this.failure, retriable: true });
    if (this.discoveryMs > 0 && this.options.bounded !== true && Date.now() >= this.nextDiscoveryAt) return this.rediscover();
    // Every owned partition holds the watermark back from the start, not only from its first record (as in Flink).
    for (const [key, owned] of this.owned) owned.output ??= output.forSplit(key);
    let emitted = 0;
    while (emitted < max && this.queueHead < this.queue.length) {
      const item = this.queue[this.queueHead++]!;
      const owned = this.owned.get(item.key);
      if (owned === undefined) continue;
      if (!('record' in item)) {
        owned.next = Math.max(owned.next, item.upTo);
        continue;
      }
      const { record } = item;
      if (record.offset < owned.next || (this.options.bounded === true && record.offset >= owned.stopAt)) continue;
      // The position moves past a bad record too: a restore never meets it again.
      owned.next = record.offset + 1;
      this.emit(record, owned.output!, output);
      emitted++;
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
    this.resumeWhenDrained();
    if (this.options.bounded === true && this.finishedBounded(output)) return 'end';
    return this.queueHead < this.queue.length ? 'more' : { waitMs: IDLE_POLL_MS };
  }

  snapshotState(checkpointId?: number): KafkaSourcePosition {
    const offsets: Record<string, number> = {};
    const committed = new Map<string, { tp: TopicPartition; offset: number }>();
    for (const [key, { tp, next }] of this.owned) {
      offsets[key] = next;
      committed.set(key, { tp, offset: next });
    }
    if (checkpointId !== undefined) this.snapshots.set(checkpointId, committed);
    return { offsets };
  }

  /** Offsets in Kafka are for lag and tools (the checkpoint is the truth): a failed commit is only logged. */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    const offsets = this.snapshots.get(checkpointId);
    for (const id of this.snapshots.keys()) if (id <= checkpointId) this.snapshots.delete(id);
    if (offsets === undefined || offsets.size === 0) return;
    try {
      await this.client.commitGroupOffsets(this.options.groupId, offsets, `weir checkpoint ${checkpointId}`);
    } catch (error) {
      log.warn({ groupId: this.options.groupId, checkpointId, err: error }, 'committing offsets to Kafka failed; the next checkpoint tries again');
    }
    // The reader group too: a consumer that kafkajs restarts after a crash starts there, not at the reader's start.
    const consumer = this.consumer;
    if (consumer === undefined) return;
    const positions = [...offsets.values()].map(({ tp, offset }) => ({ topic: tp.topic, partition: tp.partition, offset: String(offset) }));
    await consumer.commitOffsets(positions).catch((error: unknown) => log.warn({ groupId: this.readerGroupId, err: error }, 'committing the reader group offsets failed'));
  }

  async close(): Promise<void> {
    clearTimeout(this.staleGroupsTimer);
    await this.stopConsumer();
    await this.client.close();
  }

  private async stopConsumer(): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined) return;
    this.consumer = undefined;
    await consumer.disconnect();
    // The reader group only served this consumer; leaving it would clutter the cluster's group list.
    await this.client.deleteGroup(this.readerGroupId!).catch((error: unknown) => log.warn({ groupId: this.readerGroupId, err: error }, 'deleting the reader group failed'));
  }

  /** Emits a record, or rejects it when it cannot be read; errors of the operators after the source pass through. */
  private emit(record: KafkaRecordView, split: SourceOutput<T>, output: ReaderOutput<T>): void {
    let value: T;
    try {
      value = this.options.deserializer(record);
    } catch (error) {
      this.reject(record, error, record.value === null ? null : textOf(record.value), output);
      return;
    }
    try {
      split.collect(value, record.timestamp);
    } catch (error) {
      if (!(error instanceof BadRecordError)) throw error;
      this.reject(record, error, value, output);
    }
  }

  private reject(record: KafkaRecordView, error: unknown, preview: unknown, output: ReaderOutput<T>): void {
    const { topic, partition, offset } = record;
    rejectRecord(output, this.me.operator, {
      source: { kind: 'kafka', topic, partition, offset },
      error,
      preview,
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestamp,
    });
  }

  /** The partitions of the configured topics, or of every topic matching the pattern. */
  private async discover(admin: KafkaAdmin): Promise<TopicPartition[]> {
    const pattern = this.options.topicPattern;
    const topics = pattern === undefined ? this.options.topics : (await admin.topics()).filter((topic) => pattern.test(topic)).sort();
    return admin.partitionsOf(topics);
  }

  /** Takes the partitions this subtask owns and has not yet, each at its start offset. */
  private async take(admin: KafkaAdmin, partitions: readonly TopicPartition[], startFrom: KafkaSourceOptions<T>['startFrom']): Promise<boolean> {
    const mine = partitions.filter((tp) => ownerOf(tp, this.me.parallelism) === this.me.subtask && !this.owned.has(partitionKey(tp)));
    if (mine.length === 0) return false;
    for (const topic of new Set(mine.map((tp) => tp.topic))) {
      const range = await admin.offsetRange(topic);
      const starts = await this.startOffsets(admin, topic, range, startFrom);
      for (const tp of mine.filter((candidate) => candidate.topic === topic)) {
        const key = partitionKey(tp);
        const { low, high } = range.get(tp.partition)!;
        // Restored positions win; a position the broker no longer has (retention deleted it) starts at the earliest.
        const next = Math.max(this.restored?.get(key) ?? starts.get(tp.partition) ?? low, low);
        this.owned.set(key, { tp, next, stopAt: high, output: undefined });
      }
    }
    return true;
  }

  private async startOffsets(
    admin: KafkaAdmin,
    topic: string,
    range: Map<number, { low: number; high: number }>,
    startFrom: KafkaSourceOptions<T>['startFrom'],
  ): Promise<Map<number, number>> {
    const edge = (which: 'low' | 'high') => new Map([...range].map(([partition, offsets]) => [partition, offsets[which]]));
    if (startFrom === 'earliest') return edge('low');
    if (startFrom === 'latest') return edge('high');
    if (typeof startFrom === 'object') return admin.offsetsAt(topic, startFrom.timestamp);
    const committed = await admin.committedOffsets(this.options.groupId, topic);
    const fallback = edge(this.options.resetTo === 'latest' ? 'high' : 'low');
    for (const [partition, offset] of fallback) if (!committed.has(partition)) committed.set(partition, offset);
    return committed;
  }

  private async startConsumer(): Promise<void> {
    if (this.owned.size === 0) return;
    const groupId = newReaderGroupName(this.options.groupId, this.me.subtask);
    const owned = [...this.owned.values()];
    // The reader group starts where the reader stands: its first fetches need no seek.
    await this.client.commitGroupOffsets(groupId, new Map(owned.map(({ tp, next }) => [partitionKey(tp), { tp, offset: next }])), 'weir reader start');
    const assigned = owned.map(({ tp }) => tp);
    this.readerGroupId = groupId;
    const consumer = this.client.consumer({
      groupId,
      readUncommitted: this.options.readUncommitted ?? false,
      maxWaitTimeInMs: 100,
      sessionTimeout: READER_SESSION_TIMEOUT_MS,
      partitionAssigners: [ownedPartitionsAssigner(assigned)],
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts the consumer itself after a retriable crash (a group coordinator moving or loading); its
      // position survives in the reader group. Only a crash it gives up on fails the attempt.
      if (payload.restart) log.warn({ groupId: payload.groupId, err: payload.error }, 'the Kafka consumer crashed; kafkajs restarts it');
      else this.failure = payload.error;
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      this.queue.push({ key: partitionKey(payload), upTo: Number(payload.lastOffset) + 1 });
    });
    await consumer.connect();
    // From the beginning when the group has no offsets: while it is empty (before the join, or while kafkajs restarts a
    // crashed consumer) another start may delete it as stale; what lies before the reader's position is skipped.
    await consumer.subscribe({ topics: [...new Set(assigned.map((tp) => tp.topic))], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: async (payload) => this.enqueue(consumer, payload) });
    this.consumer = consumer;
  }

  private async enqueue(consumer: Consumer, { batch }: EachBatchPayload): Promise<void> {
    const key = partitionKey(batch);
    for (const message of batch.messages) {
      this.queue.push({
        key,
        record: {
          topic: batch.topic,
          partition: batch.partition,
          offset: Number(message.offset),
          timestamp: Number(message.timestamp),
          key: message.key,
          value: message.value,
          headers: (message.headers ?? {}) as KafkaRecordView['headers'],
        },
      });
    }
    if (this.queue.length - this.queueHead > this.maxBuffered && !this.paused.has(key)) {
      this.paused.add(key);
      consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
    }
  }

  private resumeWhenDrained(): void {
    if (this.paused.size === 0 || this.queue.length - this.queueHead > this.maxBuffered / 2 || this.consumer === undefined) return;
    for (const key of this.paused) {
      const { tp } = this.owned.get(key)!;
      this.consumer.resume([{ topic: tp.topic, partitions: [tp.partition] }]);
    }
    this.paused.clear();
  }

  /** Every owned partition reached the end found at start; done partitions release their watermark hold. */
  private finishedBounded(output: ReaderOutput<T>): boolean {
    let finished = true;
    for (const [key, owned] of this.owned) {
      if (owned.next >= owned.stopAt) output.releaseSplit(key);
      else finished = false;
    }
    return finished;
  }

  /** Looks for new partitions (a few ms, once per interval); found ones restart the consumer with them, from the earliest offset as in Flink. */
  private async rediscover(): Promise<PollResult> {
    this.nextDiscoveryAt = Date.now() + this.discoveryMs;
    const admin = await this.client.admin();
    try {
      const grew = await this.take(admin, await this.discover(admin), 'earliest');
      if (grew) {
        await this.stopConsumer();
        this.queue = [];
        this.queueHead = 0;
        this.paused.clear();
        await this.startConsumer();
      }
    } finally {
      await admin.close();
    }
    return 'more';
  }
}

/** A value's bytes as text, for a failure's preview: JSON values read as themselves, other bytes as best UTF-8 can. */
function textOf(value: Uint8Array): string {
  return new TextDecoder().decode(value);
}

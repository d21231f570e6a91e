import type { Batch, Consumer } from 'kafkajs';
import type { FetchedBatch, FetcherOptions, KafkaRecordView, PartitionFetcher, PartitionOffset, TopicPartition } from '../interface.ts';
import type { KafkajsClient } from './client.ts';
import { deleteStaleReaderGroups, newReaderGroupName, ownedPartitionsAssigner, READER_SESSION_TIMEOUT_MS } from './reader-groups.ts';
import { createLogger } from '../../../../observe/logger.ts';

const log = createLogger(undefined, { component: 'kafka-source' });

/** How long the broker holds a fetch that finds nothing new before it answers it empty (a long poll). */
export const FETCH_MAX_WAIT_MS = 100;

/**
 * Fetching of assigned partitions on kafkajs, which only consumes through a consumer group: each start has a reader
 * group of its own in which the consumer is the only member (see reader-groups.ts), and an assigner that hands it
 * exactly the partitions it was given.
 */
export class KafkajsFetcher implements PartitionFetcher {
  private consumer: Consumer | undefined;
  private readerGroupId: string | undefined;
  /** The second look for earlier runs' reader groups, once the sessions of killed processes' members have expired. */
  private staleGroupsTimer: NodeJS.Timeout | undefined;

  private readonly sessionTimeoutMs: number;

  constructor(
    private readonly client: KafkajsClient,
    private readonly options: FetcherOptions,
  ) {
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? READER_SESSION_TIMEOUT_MS;
  }

  /**
   * Reader groups that killed processes left: those whose members' sessions expired go now, the others a little after
   * they expire. Restarts would otherwise pile them up (26 after 20 kills).
   */
  async open(): Promise<void> {
    await deleteStaleReaderGroups(this.client, this.options.groupId, this.options);
    this.staleGroupsTimer = setTimeout(() => void deleteStaleReaderGroups(this.client, this.options.groupId, this.options), this.sessionTimeoutMs + 15_000);
    this.staleGroupsTimer.unref();
  }

  async start(from: readonly PartitionOffset[]): Promise<void> {
    if (from.length === 0) return;
    const groupId = newReaderGroupName(this.options.groupId, this.options.subtask);
    // The reader group starts where the reader stands: its first fetches need no seek.
    await this.client.commitGroupOffsets(groupId, from, 'weir reader start');
    this.readerGroupId = groupId;
    const consumer: Consumer = this.client.kafka.consumer({
      groupId,
      readUncommitted: this.options.readUncommitted,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      sessionTimeout: this.sessionTimeoutMs,
      // kafkajs's 3 s, or a third of a shorter session (Kafka's advice: a few heartbeats may be missed before it ends).
      heartbeatInterval: Math.min(3_000, Math.floor(this.sessionTimeoutMs / 3)),
      partitionAssigners: [ownedPartitionsAssigner(from)],
      // kafkajs's default retries, and no restart once this fetcher let the consumer go: a disconnect while kafkajs
      // handles a crash (a cluster gone away) does not cancel the restart it schedules after it, and the restarted
      // consumer would fetch for nobody from the moment the cluster answers again.
      retry: { retries: 5, restartOnFailure: async () => this.consumer === consumer },
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // A consumer this fetcher let go of is nobody's failure (it does not restart: see restartOnFailure).
      if (this.consumer !== consumer) return;
      // kafkajs restarts the consumer itself after a retriable crash (a group coordinator moving or loading); its
      // position survives in the reader group. Only a crash it gives up on fails the fetching.
      if (payload.restart) log.warn({ groupId: payload.groupId, err: payload.error }, 'the Kafka consumer crashed; kafkajs restarts it');
      else this.options.onFailure(payload.error);
    });
    // A batch of only transaction markers or aborted records skips eachBatch; its end still moves the position.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0) this.options.onBatch({ topic: payload.topic, partition: payload.partition, records: [], nextOffset: Number(payload.lastOffset) + 1 });
    });
    await consumer.connect();
    // From the beginning when the group has no offsets: while it is empty (before the join, or while kafkajs restarts a
    // crashed consumer) another start may delete it as stale; what lies before the reader's position is skipped.
    await consumer.subscribe({ topics: [...new Set(from.map((tp) => tp.topic))], fromBeginning: true });
    // Set before run: a batch may arrive before run resolves, and pausing needs the consumer.
    this.consumer = consumer;
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: async ({ batch }) => this.options.onBatch(fetched(batch)) });
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined) return;
    this.consumer = undefined;
    await consumer.disconnect();
    // The reader group only served this consumer; leaving it would clutter the cluster's group list.
    await this.deleteReaderGroup(this.readerGroupId!).catch((error: unknown) => log.warn({ groupId: this.readerGroupId, err: error }, 'deleting the reader group failed'));
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) this.consumer?.pause([{ topic, partitions: [partition] }]);
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) this.consumer?.resume([{ topic, partitions: [partition] }]);
  }

  /** The reader group's offsets: a consumer that kafkajs restarts after a crash starts there, not at the reader's start. */
  async savePositions(positions: readonly PartitionOffset[]): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || positions.length === 0) return;
    const offsets = positions.map(({ topic, partition, offset }) => ({ topic, partition, offset: String(offset) }));
    await consumer.commitOffsets(offsets).catch((error: unknown) => log.warn({ groupId: this.readerGroupId, err: error }, 'committing the reader group offsets failed'));
  }

  async close(): Promise<void> {
    clearTimeout(this.staleGroupsTimer);
    await this.stop();
  }

  private async deleteReaderGroup(groupId: string): Promise<void> {
    const admin = await this.client.admin();
    try {
      await admin.deleteGroup(groupId);
    } finally {
      await admin.close();
    }
  }
}

function fetched(batch: Batch): FetchedBatch {
  const { topic, partition } = batch;
  const records: KafkaRecordView[] = batch.messages.map((message) => ({
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: message.key,
    value: message.value,
    headers: (message.headers ?? {}) as KafkaRecordView['headers'],
  }));
  return { topic, partition, records, nextOffset: Number(batch.lastOffset()) + 1 };
}

import type { PollResult, ReaderOutput, SourceReader } from '../source.ts';
import { describeError, WeirError } from '../../core/errors.ts';
import { createKafkaClient, partitionKey, type KafkaAdmin, type KafkaClient, type PartitionFetcher, type TopicPartition } from './client/index.ts';
import { FetchBuffer } from './fetch-buffer.ts';
import { partitionsToRead, type KafkaSourceOptions } from './source.ts';
import { SourceAssignment } from './source-assignment.ts';
import { SourceCommits } from './source-commits.ts';
import { emitOrReject } from './source-dead-letters.ts';

const DEFAULT_DISCOVERY_MS = 60_000;
const DEFAULT_MAX_BUFFERED = 10_000;
/** How long an empty poll waits before the runtime polls again. */
const IDLE_POLL_MS = 5;

/** A Kafka reader's checkpointed position: the next offset of each partition it owns. */
export interface KafkaSourcePosition {
  readonly offsets: Readonly<Record<string, number>>;
}

type ReaderOptions<T> = Omit<KafkaSourceOptions<T>, 'topics'> & { readonly topics: readonly string[] };

/**
 * One subtask's Kafka reader: the client fetches the partitions this subtask owns (source-assignment.ts) into a
 * bounded buffer (fetch-buffer.ts), from which the runtime's polls emit, or reject as dead letters
 * (source-dead-letters.ts); positions are committed when checkpoints complete (source-commits.ts). Offsets below a
 * partition's position are dropped (a fetch that the client restarts may go back), so nothing is emitted twice.
 */
export class KafkaSourceReader<T> implements SourceReader<T> {
  private readonly client: KafkaClient;
  private fetcher: PartitionFetcher | undefined;
  private readonly assignment: SourceAssignment<T>;
  private readonly buffer: FetchBuffer;
  private readonly commits: SourceCommits;
  private failure: unknown;
  private nextDiscoveryAt = 0;
  private readonly discoveryMs: number;

  constructor(
    private readonly options: ReaderOptions<T>,
    /** This reader's subtask, and the source's operator name (dead letters carry it). */
    private readonly me: { readonly subtask: number; readonly parallelism: number; readonly operator: string },
    private readonly restored: ReadonlyMap<string, number> | undefined,
  ) {
    this.discoveryMs = options.partitionDiscoveryMs ?? DEFAULT_DISCOVERY_MS;
    this.client = createKafkaClient({ ...options, clientId: `weir-source-${me.subtask}` });
    this.assignment = new SourceAssignment(options, me, restored);
    this.buffer = new FetchBuffer(options.maxBufferedRecords ?? DEFAULT_MAX_BUFFERED);
    this.commits = new SourceCommits(this.client, options.groupId);
  }

  async open(): Promise<void> {
    const admin = await this.client.admin();
    try {
      await this.assignment.take(admin, await this.discover(admin), this.restored === undefined ? this.options.startFrom ?? 'committed' : 'earliest');
    } finally {
      await admin.close();
    }
    this.nextDiscoveryAt = Date.now() + this.discoveryMs;
    this.fetcher = await this.client.fetcher({
      groupId: this.options.groupId,
      subtask: this.me.subtask,
      parallelism: this.me.parallelism,
      readUncommitted: this.options.readUncommitted ?? false,
      onBatch: (batch) => this.buffer.add(batch, this.fetcher),
      onFailure: (error) => (this.failure = error),
    });
    await this.startFetching();
  }

  poll(output: ReaderOutput<T>, max: number): PollResult | Promise<PollResult> {
    if (this.failure !== undefined) throw new WeirError(`the Kafka consumer failed: ${describeError(this.failure)}`, { cause: this.failure, retriable: true });
    if (this.discoveryMs > 0 && this.options.bounded !== true && Date.now() >= this.nextDiscoveryAt) return this.rediscover();
    this.assignment.bindOutputs(output);
    const { owned } = this.assignment;
    let emitted = 0;
    while (emitted < max) {
      const item = this.buffer.next();
      if (item === undefined) break;
      const partition = owned.get(item.key);
      if (partition === undefined) continue;
      if (!('record' in item)) {
        partition.next = Math.max(partition.next, item.upTo);
        continue;
      }
      const { record } = item;
      if (record.offset < partition.next || (this.options.bounded === true && record.offset >= partition.stopAt)) continue;
      // The position moves past a bad record too: a restore never meets it again.
      partition.next = record.offset + 1;
      emitOrReject(record, this.options.deserializer, partition.output!, output, this.me.operator);
      emitted++;
    }
    this.buffer.resumeWhenDrained(this.fetcher);
    if (this.options.bounded === true && this.assignment.finishedBounded(output)) return 'end';
    return this.buffer.size > 0 ? 'more' : { waitMs: IDLE_POLL_MS };
  }

  snapshotState(checkpointId?: number): KafkaSourcePosition {
    const positions = this.assignment.positions();
    if (checkpointId !== undefined) this.commits.snapshot(checkpointId, positions);
    return { offsets: Object.fromEntries(positions.map((position) => [partitionKey(position), position.offset])) };
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    await this.commits.complete(checkpointId, this.fetcher);
  }

  async close(): Promise<void> {
    await this.fetcher?.close();
    this.fetcher = undefined;
    await this.client.close();
  }

  private discover(admin: KafkaAdmin): Promise<TopicPartition[]> {
    return partitionsToRead(admin, this.options);
  }

  private async startFetching(): Promise<void> {
    if (this.assignment.owned.size === 0) return;
    await this.fetcher!.start(this.assignment.positions());
  }

  /** Looks for new partitions (a few ms, once per interval); found ones restart the fetching with them, from the earliest offset as in Flink. */
  private async rediscover(): Promise<PollResult> {
    this.nextDiscoveryAt = Date.now() + this.discoveryMs;
    const admin = await this.client.admin();
    try {
      const grew = await this.assignment.take(admin, await this.discover(admin), 'earliest');
      if (grew) {
        await this.fetcher!.stop();
        this.buffer.clear();
        await this.startFetching();
      }
    } finally {
      await admin.close();
    }
    return 'more';
  }
}

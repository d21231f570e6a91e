import type { ReaderOutput } from '../source.ts';
import { createKafkaClient, partitionKey, type KafkaAdmin, type KafkaClient, type KafkaRecordView, type PartitionFetcher, type PartitionOffset, type TopicPartition } from './client/index.ts';
import { FetchBuffer } from './fetch-buffer.ts';
import { partitionsToRead, type KafkaSourceOptions, type StartingOffsets } from './source.ts';
import { SourceAssignment } from './source-assignment.ts';
import { SourceCommits } from './source-commits.ts';
import { PartitionLagReporter } from './partition-lag.ts';
import { emitOrReject } from './source-dead-letters.ts';

const DEFAULT_MAX_BUFFERED = 10_000;

export type PartitionReaderOptions<T> = Omit<KafkaSourceOptions<T>, 'topics' | 'startFrom' | 'partitionDiscoveryMs'> & {
  readonly topics: readonly string[];
  /** Called once when the client gives up fetching: the single-cluster source fails the job, a multi-cluster one marks the cluster down. */
  readonly onFailure: (error: unknown) => void;
  /** Put before each partition key in split ids (`us-east/`), so several clusters' copies of a partition stay apart. */
  readonly splitPrefix?: string;
  /** The cluster id that dead letters of this reader carry. */
  readonly cluster?: string;
  /** The subtask's RuntimeContext.reportStatus: partitions' lag is reported after each offset commit. */
  readonly reportStatus?: (kind: string, status: unknown) => void;
};

/**
 * The partitions one subtask reads from one Kafka cluster: a client fetches them (source-assignment.ts says which)
 * into a bounded buffer (fetch-buffer.ts), `drain` emits from it or rejects as dead letters (source-dead-letters.ts),
 * positions are committed when checkpoints complete (source-commits.ts). Offsets below a partition's position are
 * dropped (a fetch that the client restarts may go back), so nothing is emitted twice. The single-cluster reader is
 * one of these; the multi-cluster reader composes one per cluster.
 */
export class KafkaPartitionReader<T> {
  private readonly client: KafkaClient;
  private fetcher: PartitionFetcher | undefined;
  readonly assignment: SourceAssignment<T>;
  private readonly buffer: FetchBuffer;
  private readonly commits: SourceCommits;
  private closed = false;

  constructor(
    private readonly options: PartitionReaderOptions<T>,
    /** This reader's subtask, and the source's operator name (dead letters carry it). */
    private readonly me: { readonly subtask: number; readonly parallelism: number; readonly operator: string },
    restored: ReadonlyMap<string, number> | undefined,
  ) {
    this.client = createKafkaClient(options);
    this.assignment = new SourceAssignment(options, me, restored, options.splitPrefix ?? '');
    this.buffer = new FetchBuffer(options.maxBufferedRecords ?? DEFAULT_MAX_BUFFERED);
    const report = options.reportStatus;
    const lag = report === undefined ? undefined : new PartitionLagReporter(options.groupId, options.cluster, () => this.endOffsets(), report);
    this.commits = new SourceCommits(this.client, options.groupId, lag === undefined ? undefined : (positions, latencyMs) => lag.committed(positions, latencyMs));
  }

  /** Takes this subtask's partitions (restored positions first, else `startFrom`) and starts fetching them. */
  async open(startFrom: StartingOffsets): Promise<void> {
    await this.withAdmin((admin) => this.take(admin, startFrom));
    if (this.closed) return;
    const fetcher = await this.client.fetcher({
      groupId: this.options.groupId,
      subtask: this.me.subtask,
      parallelism: this.me.parallelism,
      readUncommitted: this.options.readUncommitted ?? false,
      ...(this.options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: this.options.sessionTimeoutMs }),
      // A closed reader's fetcher may still deliver while it winds down (a cluster that stopped answering): ignored.
      onBatch: (batch) => {
        if (!this.closed) this.buffer.add(batch, this.fetcher);
      },
      onFailure: (error) => {
        if (!this.closed) this.options.onFailure(error);
      },
    });
    this.fetcher = fetcher;
    if (this.closed) {
      await fetcher.close();
      return;
    }
    await this.startFetching();
  }

  get buffered(): number {
    return this.buffer.size;
  }

  /**
   * Emits up to `max` buffered records into their splits; `accept` may refuse a record (a duplicate), whose position
   * still moves past it. Returns how many records it took from the buffer.
   */
  drain(output: ReaderOutput<T>, max: number, accept?: (record: KafkaRecordView) => boolean): number {
    this.assignment.bindOutputs(output);
    const { owned } = this.assignment;
    const bounded = this.options.bounded === true;
    let taken = 0;
    while (taken < max) {
      const item = this.buffer.next();
      if (item === undefined) break;
      const partition = owned.get(item.key);
      if (partition === undefined) continue;
      if (!('record' in item)) {
        partition.next = Math.max(partition.next, item.upTo);
        continue;
      }
      const { record } = item;
      if (record.offset < partition.next || (bounded && record.offset >= partition.stopAt)) continue;
      // The position moves past a bad record too: a restore never meets it again.
      partition.next = record.offset + 1;
      taken++;
      if (accept !== undefined && !accept(record)) continue;
      emitOrReject(record, this.options.deserializer, partition.output!, output, this.me.operator, this.options.cluster);
    }
    this.buffer.resumeWhenDrained(this.fetcher);
    return taken;
  }

  /** Every owned partition's next offset. */
  positions(): PartitionOffset[] {
    return this.assignment.positions();
  }

  /** The positions that checkpoint `checkpointId` holds, committed to the group when it completes. */
  snapshot(checkpointId: number): PartitionOffset[] {
    const positions = this.assignment.positions();
    this.commits.snapshot(checkpointId, positions);
    return positions;
  }

  async complete(checkpointId: number): Promise<void> {
    await this.commits.complete(checkpointId, this.fetcher);
  }

  /** Looks for new partitions; found ones restart the fetching with them, from the earliest offset as in Flink. */
  async rediscover(): Promise<void> {
    const grew = await this.withAdmin((admin) => this.take(admin, 'earliest'));
    if (!grew || this.closed) return;
    await this.fetcher!.stop();
    this.buffer.clear();
    await this.startFetching();
  }

  /**
   * Per owned partition, the end offset a reader at this reader's isolation can reach (the next to be written, or for
   * read_committed the first offset of the oldest open transaction); lag is the end minus the position.
   */
  async endOffsets(): Promise<Map<string, number>> {
    return this.withAdmin(async (admin) => {
      const ends = new Map<string, number>();
      for (const topic of this.ownedTopics()) {
        for (const [partition, { high }] of await admin.offsetRange(topic)) ends.set(partitionKey({ topic, partition }), high);
      }
      return ends;
    });
  }

  /**
   * Per owned partition, the log end offset: past every record written, in transactions still open too. Records a
   * producer keeps writing inside one open transaction leave `endOffsets` still at read_committed; these move.
   */
  async logEndOffsets(): Promise<Map<string, number>> {
    return this.withAdmin(async (admin) => {
      const ends = new Map<string, number>();
      for (const topic of this.ownedTopics()) {
        for (const [partition, end] of await admin.logEndOffsets(topic)) ends.set(partitionKey({ topic, partition }), end);
      }
      return ends;
    });
  }

  private ownedTopics(): Set<string> {
    return new Set([...this.assignment.owned.values()].map(({ tp }) => tp.topic));
  }

  async close(): Promise<void> {
    this.closed = true;
    const fetcher = this.fetcher;
    this.fetcher = undefined;
    await fetcher?.close();
    await this.client.close();
  }

  private async take(admin: KafkaAdmin, startFrom: StartingOffsets): Promise<boolean> {
    const partitions: TopicPartition[] = await partitionsToRead(admin, this.options);
    return this.assignment.take(admin, partitions, startFrom);
  }

  private async startFetching(): Promise<void> {
    if (this.assignment.owned.size === 0) return;
    await this.fetcher!.start(this.assignment.positions());
  }

  private async withAdmin<R>(use: (admin: KafkaAdmin) => Promise<R>): Promise<R> {
    const admin = await this.client.admin();
    try {
      return await use(admin);
    } finally {
      await admin.close();
    }
  }
}

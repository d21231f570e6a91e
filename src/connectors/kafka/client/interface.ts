/**
 * weir's own Kafka client interface (docs/architecture.md, decision 13): what the connectors need of a Kafka client,
 * in weir's types only. An adapter implements it for one client library (kafkajs today, under kafkajs/); no type of a
 * client library crosses it, so another library can replace one without a change to the connectors.
 */

/** Where a connector finds its cluster; brokers default to the KAFKA_BROKERS environment variable. */
export interface KafkaConnectionOptions {
  /** `host:port` list, or one comma-separated string; default: KAFKA_BROKERS. */
  readonly brokers?: readonly string[] | string;
  readonly clientId?: string;
}

/** A topic's partition; `${topic}:${partition}` is its key in checkpoints and maps. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A partition and an offset in it: where to read from, or a position to commit. */
export interface PartitionOffset extends TopicPartition {
  readonly offset: number;
}

/** A group's committed offset of a partition, with the metadata string of its commit. */
export interface CommittedPosition {
  readonly offset: number;
  readonly metadata: string | null;
}

/** A consumed Kafka record as a deserialiser sees it. */
export interface KafkaRecordView {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record's timestamp (ms), CreateTime or LogAppendTime as the topic says. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string | undefined>>;
}

/** One connection to a cluster, from which the connectors take what they need; `close` ends what it opened itself. */
export interface KafkaClient {
  readonly brokers: readonly string[];
  admin(): Promise<KafkaAdmin>;
  /** Fetches partitions that weir assigns itself: no group membership, no rebalancing. */
  fetcher(options: FetcherOptions): Promise<PartitionFetcher>;
  /** An idempotent producer: a retried send is not written twice. */
  producer(): Promise<KafkaProducer>;
  /**
   * A transactional producer that holds `transactionalId`: taking the id fences every earlier holder, and the broker
   * completes or aborts what an earlier holder left open, before this resolves.
   */
  transactionalProducer(options: TransactionalProducerOptions): Promise<TransactionalProducer>;
  /**
   * Commits offsets for a group without being one of its members (as Java's KafkaConsumer does with assign()): weir's
   * readers own their partitions themselves, so the user's group has no members, only the offsets tools read for lag.
   */
  commitGroupOffsets(groupId: string, offsets: readonly PartitionOffset[], metadata: string): Promise<void>;
  /** Ends the connections the client opened for itself; admins, fetchers and producers are closed by their owners. */
  close(): Promise<void>;
}

/** Admin queries the connectors need, with offsets as numbers (Kafka's int64 offsets stay below 2^53 in practice). */
export interface KafkaAdmin {
  topics(): Promise<string[]>;
  /** Every partition of the topics; a topic that does not exist fails with its name. */
  partitionsOf(topics: readonly string[]): Promise<TopicPartition[]>;
  /**
   * The first offset and the read_committed end (the last stable offset) of every partition of a topic: `high` stops
   * at the first record of a transaction still open, and moves past a committed one once its markers are written.
   */
  offsetRange(topic: string): Promise<Map<number, { low: number; high: number }>>;
  /**
   * The log end offset (high watermark) of every partition of a topic: past every record written, in open
   * transactions too. A read_committed reader that reaches it has seen every transaction written so far resolved.
   */
  logEndOffsets(topic: string): Promise<Map<number, number>>;
  /** Per partition, the first offset whose timestamp is at or after `timestamp` (the end when there is none). */
  offsetsAt(topic: string, timestamp: number): Promise<Map<number, number>>;
  /** The group's committed offsets of a topic's partitions; partitions without one are left out. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, number>>;
  /** The same, each with the metadata its commit carried (weir's say which checkpoint committed them). */
  committedPositions(groupId: string, topic: string): Promise<Map<number, CommittedPosition>>;
  /** A broker setting as the cluster's first broker reports it (cluster-wide settings are alike on every broker). */
  brokerConfig(name: string): Promise<string | undefined>;
  /**
   * Creates a topic (replication factor 1: test and local clusters are single-node) and waits until every partition
   * has a leader; a topic of that name already there fails with its name. For tests and local tools: jobs never create topics.
   */
  createTopic(topic: string, partitions: number, config?: Readonly<Record<string, string>>): Promise<void>;
  close(): Promise<void>;
}

/** The records of one partition that one fetch returned, in offset order. */
export interface FetchedBatch extends TopicPartition {
  readonly records: readonly KafkaRecordView[];
  /**
   * The offset after the batch: past its last record, and past transaction markers and aborted records that the
   * batch held but `records` leaves out (a batch of only those has no records and still moves the position).
   */
  readonly nextOffset: number;
}

export interface FetcherOptions {
  /** The consumer group the reading is done for (its offsets are the user's; an adapter may derive names from it). */
  readonly groupId: string;
  /** The reading subtask, and how many there are: which of the partitions are this subtask's to read. */
  readonly subtask: number;
  readonly parallelism: number;
  /** Read records of aborted and open transactions too; default false (read_committed). */
  readonly readUncommitted: boolean;
  /** How long after its last heartbeat the broker drops a reader's group member, in ms (session.timeout.ms); the adapter's default when absent. */
  readonly sessionTimeoutMs?: number;
  /** Called with each fetched batch, in fetch order; a paused partition's batches stop coming soon after `pause`. */
  readonly onBatch: (batch: FetchedBatch) => void;
  /** Called once when fetching fails for good (the client gave up retrying it). */
  readonly onFailure: (error: unknown) => void;
}

/** The fetching of one subtask's partitions. */
export interface PartitionFetcher {
  /** Starts fetching these partitions, each from its offset; a fetcher reads one assignment at a time. */
  start(from: readonly PartitionOffset[]): Promise<void>;
  /** Stops fetching: no batch arrives after this resolves. `start` may follow, with another assignment. */
  stop(): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /**
   * Positions that the reader has taken records up to: a fetch that the client restarts on its own (after a
   * connection failure) may go back no further. A hint; batches from before it are still possible and ignored.
   */
  savePositions(positions: readonly PartitionOffset[]): Promise<void>;
  /** Stops fetching and releases what the fetcher holds. */
  close(): Promise<void>;
}

/** A record to produce: bytes as they go on the wire. */
export interface ProducedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, Buffer>>;
  /** CreateTime in ms; default: when the client sends it. */
  readonly timestamp?: number;
}

/** Records for one partition, in the order they are written. */
export interface PartitionBatch {
  readonly topic: string;
  /**
   * The partition; undefined leaves each record's partition to the client's default partitioner (Java's: murmur2 of
   * the key, records without a key spread), until weir partitions every record itself.
   */
  readonly partition: number | undefined;
  readonly records: readonly ProducedRecord[];
}

/** Sends whole per-partition batches; resolves when every record is acknowledged by all in-sync replicas (acks=all). */
export interface BatchSender {
  send(batches: readonly PartitionBatch[]): Promise<void>;
}

export interface KafkaProducer extends BatchSender {
  close(): Promise<void>;
}

export interface TransactionalProducerOptions {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
}

export interface TransactionalProducer {
  readonly transactionalId: string;
  /** Begins a transaction; one at a time. */
  begin(): Promise<KafkaTransaction>;
  /** Whether an error of this producer says that another holder took its transactional id over (fenced it). */
  isFencing(error: unknown): boolean;
  close(): Promise<void>;
}

/** An open transaction: what it sends and the offsets it commits become visible together, at `commit`, or never. */
export interface KafkaTransaction extends BatchSender {
  /** Commits offsets for `groupId` as part of the transaction (Kafka's transactional offset commit). */
  sendOffsets(groupId: string, offsets: readonly PartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

import {
  Kafka,
  logLevel as KafkaLogLevel,
  type Admin,
  type Consumer,
  type ConsumerConfig,
  type LogEntry,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import { createLogger } from '../../observe/logger.ts';
import { WeirError } from '../../runtime/errors.ts';

/**
 * The one place weir touches kafkajs (DESIGN: kafkajs is in maintenance mode; keep it behind a narrow interface so
 * another client can replace it): connections, admin queries, consumers, producers, and group offset commits.
 */

/** Where a connector finds its cluster; brokers default to the KAFKA_BROKERS environment variable. */
export interface KafkaConnectionOptions {
  /** `host:port` list, or one comma-separated string; default: KAFKA_BROKERS. */
  readonly brokers?: readonly string[] | string;
  readonly clientId?: string;
}

export const BROKERS_VARIABLE = 'KAFKA_BROKERS';

export function resolveBrokers(brokers: readonly string[] | string | undefined): string[] {
  const listed = brokers ?? process.env[BROKERS_VARIABLE];
  const list = (typeof listed === 'string' ? listed.split(',') : (listed ?? [])).map((broker) => broker.trim()).filter((broker) => broker !== '');
  if (list.length === 0) {
    throw new WeirError(`no Kafka brokers: pass \`brokers\` to the connector or set ${BROKERS_VARIABLE} (host:port, comma-separated)`);
  }
  return list;
}

/** A topic's partition; `${topic}:${partition}` is its key in checkpoints and maps. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export const partitionKey = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;

/** kafkajs logs through the job's logger, at warn and above (its info lines are per connection). */
function logCreator() {
  const log = createLogger(undefined, { component: 'kafkajs' });
  return ({ level, log: entry }: LogEntry) => {
    const { message, ...rest } = entry;
    if (level === KafkaLogLevel.ERROR) log.error(rest, message);
    else if (level === KafkaLogLevel.WARN) log.warn(rest, message);
  };
}

/** Private to kafkajs, but stable in its maintenance line (2.2.x): the factory of its cluster connections. */
const CREATE_CLUSTER = 'private:Kafka:createCluster';
const COMMIT_ATTEMPTS = 10;

interface OffsetCommitBroker {
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: { topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }[];
  }): Promise<unknown>;
}
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(request: { groupId: string }): Promise<OffsetCommitBroker>;
}

export class KafkaClient {
  readonly brokers: readonly string[];
  private readonly kafka: Kafka;
  private cluster: Promise<InternalCluster> | undefined;

  constructor(options: KafkaConnectionOptions = {}) {
    this.brokers = resolveBrokers(options.brokers);
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'weir',
      brokers: [...this.brokers],
      logLevel: KafkaLogLevel.WARN,
      logCreator,
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5_000 },
    });
  }

  async admin(): Promise<KafkaAdmin> {
    const admin = this.kafka.admin();
    await admin.connect();
    return new KafkaAdmin(admin, this);
  }

  consumer(config: ConsumerConfig): Consumer {
    return this.kafka.consumer(config);
  }

  producer(config: ProducerConfig): Producer {
    return this.kafka.producer(config);
  }

  /**
   * Commits offsets for a group without being one of its members (generation -1, as Java's KafkaConsumer does with
   * assign()): weir's readers own their partitions themselves, so the user's group has no members, only the offsets
   * tools read for lag. kafkajs's admin can only do this by joining the group; its cluster connection can do it directly.
   */
  async commitGroupOffsets(groupId: string, offsets: ReadonlyMap<string, { tp: TopicPartition; offset: number }>, metadata: string): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: string; metadata: string }[]>();
    for (const { tp, offset } of offsets.values()) {
      const partitions = byTopic.get(tp.topic) ?? [];
      partitions.push({ partition: tp.partition, offset: String(offset), metadata });
      byTopic.set(tp.topic, partitions);
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    const cluster = await this.commitConnection();
    // A coordinator that is loading or has moved answers with a retriable error (a fresh broker does at first).
    for (let attempt = 1; ; attempt++) {
      try {
        const coordinator = await cluster.findGroupCoordinator({ groupId });
        await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics });
        return;
      } catch (error) {
        if (attempt >= COMMIT_ATTEMPTS || (error as { retriable?: boolean }).retriable !== true) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  /** Ends the connection offset commits kept open; consumers, producers and admins are closed by their owners. */
  async close(): Promise<void> {
    const cluster = this.cluster;
    this.cluster = undefined;
    if (cluster !== undefined) await (await cluster).disconnect();
  }

  /** One connection for every commit of this client (a source commits at each completed checkpoint). */
  private commitConnection(): Promise<InternalCluster> {
    this.cluster ??= (async () => {
      const create = Object.getOwnPropertySymbols(this.kafka).find((symbol) => symbol.description === CREATE_CLUSTER);
      if (create === undefined) throw new Error('this kafkajs version hides its cluster connection: offsets cannot be committed without joining the group');
      const cluster = (this.kafka as unknown as Record<symbol, (options: object) => InternalCluster>)[create]!({ allowAutoTopicCreation: false });
      await cluster.connect();
      return cluster;
    })();
    return this.cluster;
  }
}

/** Admin queries the connectors need, with offsets as numbers (Kafka's int64 offsets stay below 2^53 in practice). */
export class KafkaAdmin {
  constructor(
    private readonly admin: Admin,
    private readonly client: KafkaClient,
  ) {}

  async topics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  /** Every partition of the topics; a topic that does not exist fails with its name. */
  async partitionsOf(topics: readonly string[]): Promise<TopicPartition[]> {
    if (topics.length === 0) return [];
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) throw new WeirError(`Kafka topic${missing.length > 1 ? 's' : ''} not found on ${this.client.brokers.join(',')}: ${missing.join(', ')}`);
    const { topics: metadata } = await this.admin.fetchTopicMetadata({ topics: [...topics] });
    return metadata.flatMap(({ name, partitions }) => partitions.map(({ partitionId }) => ({ topic: name, partition: partitionId })));
  }

  /** The first and the next-to-be-written offset of every partition of a topic. */
  async offsetRange(topic: string): Promise<Map<number, { low: number; high: number }>> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return new Map(offsets.map(({ partition, low, high }) => [partition, { low: Number(low), high: Number(high) }]));
  }

  /** Per partition, the first offset whose timestamp is at or after `timestamp` (the end when there is none). */
  async offsetsAt(topic: string, timestamp: number): Promise<Map<number, number>> {
    const offsets = await this.admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
    const range = await this.offsetRange(topic);
    return new Map(offsets.map(({ partition, offset }) => [partition, Number(offset) < 0 ? range.get(partition)!.high : Number(offset)]));
  }

  /** The group's committed offsets of a topic's partitions; partitions without one are left out. */
  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const [result] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = new Map<number, number>();
    for (const { partition, offset } of result?.partitions ?? []) if (Number(offset) >= 0) committed.set(partition, Number(offset));
    return committed;
  }

  async close(): Promise<void> {
    await this.admin.disconnect();
  }
}

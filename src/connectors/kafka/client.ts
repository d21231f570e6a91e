import type { Admin, Consumer, ConsumerConfig, LogEntry, Producer, ProducerConfig } from 'kafkajs';
import { Kafka, kafkajs, logLevel as KafkaLogLevel } from './kafkajs.ts';
import { createLogger } from '../../observe/logger.ts';
import { WeirError } from '../../core/errors.ts';
import { sleep } from '../../core/signal.ts';

/**
 * The one place weir touches kafkajs (docs/architecture.md, decision 13: kafkajs is in maintenance mode; keep it behind a narrow interface so
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

/**
 * kafkajs logs through the job's logger, at warn and above (its info lines are per connection). A broker's error
 * answer ("Response <api>") is logged by kafkajs at error level even when it retries it (a coordinator loading or
 * moved): those go at debug, since a request that finally fails reaches weir as an error and is reported there.
 */
function logCreator() {
  const log = createLogger(undefined, { component: 'kafkajs' });
  return ({ level, log: entry }: LogEntry) => {
    const { message, ...rest } = entry;
    if (level === KafkaLogLevel.ERROR && message.startsWith('Response ')) log.debug(rest, message);
    else if (level === KafkaLogLevel.ERROR) log.error(rest, message);
    else if (level === KafkaLogLevel.WARN) log.warn(rest, message);
  };
}

const log = createLogger(undefined, { component: 'kafka-client' });

/** Private to kafkajs, but stable in its maintenance line (2.2.x): the factory of its cluster connections. */
const CREATE_CLUSTER = 'private:Kafka:createCluster';
const RETRIABLE_ATTEMPTS = 12;

/**
 * Runs a request again while it fails retriably: a group coordinator loading or moved, a partition whose leader is
 * not settled yet (a fresh or restarted broker, a topic just created); kafkajs does not retry every such request.
 */
export async function retryingKafkaErrors<R>(request: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= RETRIABLE_ATTEMPTS || (error as { retriable?: boolean }).retriable !== true) throw error;
      // 0.1, 0.2, 0.4, ... 2 s: about 15 s in all, what a loaded broker takes to settle a coordinator or a leader.
      await sleep(Math.min(100 * 2 ** (attempt - 1), 2_000));
    }
  }
}

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
    await retryingKafkaErrors(async () => {
      const coordinator = await cluster.findGroupCoordinator({ groupId });
      await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics });
    });
  }

  /** Deletes a consumer group that has no members left. */
  async deleteGroup(groupId: string): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([groupId]);
    } finally {
      await admin.disconnect();
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
    const { topics: metadata } = await retryingKafkaErrors(() => this.admin.fetchTopicMetadata({ topics: [...topics] }));
    return metadata.flatMap(({ name, partitions }) => partitions.map(({ partitionId }) => ({ topic: name, partition: partitionId })));
  }

  /** The first and the next-to-be-written offset of every partition of a topic. */
  async offsetRange(topic: string): Promise<Map<number, { low: number; high: number }>> {
    const offsets = await retryingKafkaErrors(() => this.admin.fetchTopicOffsets(topic));
    return new Map(offsets.map(({ partition, low, high }) => [partition, { low: Number(low), high: Number(high) }]));
  }

  /** Per partition, the first offset whose timestamp is at or after `timestamp` (the end when there is none). */
  async offsetsAt(topic: string, timestamp: number): Promise<Map<number, number>> {
    const offsets = await retryingKafkaErrors(() => this.admin.fetchTopicOffsetsByTimestamp(topic, timestamp));
    const range = await this.offsetRange(topic);
    return new Map(offsets.map(({ partition, offset }) => [partition, Number(offset) < 0 ? range.get(partition)!.high : Number(offset)]));
  }

  /** The group's committed offsets of a topic's partitions; partitions without one are left out. */
  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const [result] = await retryingKafkaErrors(() => this.admin.fetchOffsets({ groupId, topics: [topic] }));
    const committed = new Map<number, number>();
    for (const { partition, offset } of result?.partitions ?? []) if (Number(offset) >= 0) committed.set(partition, Number(offset));
    return committed;
  }

  /** The consumer groups whose names start with `prefix`. */
  async groupsStartingWith(prefix: string): Promise<string[]> {
    const { groups } = await retryingKafkaErrors(() => this.admin.listGroups());
    return groups.map(({ groupId }) => groupId).filter((groupId) => groupId.startsWith(prefix));
  }

  /**
   * Deletes those of the groups that have no member left, and returns them. The broker checks emptiness itself when
   * it deletes, so a group that a consumer joins meanwhile is refused, never deleted under it.
   */
  async deleteEmptyGroups(groupIds: readonly string[]): Promise<string[]> {
    if (groupIds.length === 0) return [];
    const { groups } = await retryingKafkaErrors(() => this.admin.describeGroups([...groupIds]));
    const empty = groups.filter(({ state }) => state === 'Empty' || state === 'Dead').map(({ groupId }) => groupId);
    const deleted: string[] = [];
    for (const groupId of empty) {
      try {
        await this.admin.deleteGroups([groupId]);
        deleted.push(groupId);
      } catch (error) {
        // Joined or deleted by someone else meanwhile: not ours to remove now.
        log.debug({ groupId, err: error }, 'a reader group was not deleted');
      }
    }
    return deleted;
  }

  /**
   * A broker setting as the cluster's first broker reports it (cluster-wide settings are alike on every broker).
   * ConfigResourceTypes comes through the default export: kafkajs is CommonJS and Node sees no such named export.
   */
  async brokerConfig(name: string): Promise<string | undefined> {
    const { brokers } = await this.admin.describeCluster();
    const broker = brokers[0];
    if (broker === undefined) return undefined;
    const { resources } = await this.admin.describeConfigs({
      resources: [{ type: kafkajs.ConfigResourceTypes.BROKER, name: String(broker.nodeId), configNames: [name] }],
      includeSynonyms: false,
    });
    return resources[0]?.configEntries.find((entry) => entry.configName === name)?.configValue;
  }

  async close(): Promise<void> {
    await this.admin.disconnect();
  }
}

import type { Admin, Kafka } from 'kafkajs';
import { kafkajs } from './load.ts';
import type { CommittedPosition, KafkaAdmin, TopicPartition } from '../interface.ts';
import { retryingKafkaErrors } from './retry.ts';
import { logEndOffsets } from './log-end-offsets.ts';
import { WeirError } from '../../../../core/errors.ts';
import { createLogger } from '../../../../observe/logger.ts';
import { sleep } from '../../../../core/signal.ts';

const log = createLogger(undefined, { component: 'kafka-client' });

/** weir's admin queries on kafkajs's admin client; the group queries past the interface serve the reader groups. */
export class KafkajsAdmin implements KafkaAdmin {
  constructor(
    private readonly admin: Admin,
    private readonly brokers: readonly string[],
    private readonly kafka: Kafka,
  ) {}

  async topics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async partitionsOf(topics: readonly string[]): Promise<TopicPartition[]> {
    if (topics.length === 0) return [];
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) throw new WeirError(`Kafka topic${missing.length > 1 ? 's' : ''} not found on ${this.brokers.join(',')}: ${missing.join(', ')}`);
    const { topics: metadata } = await retryingKafkaErrors(() => this.admin.fetchTopicMetadata({ topics: [...topics] }));
    return metadata.flatMap(({ name, partitions }) => partitions.map(({ partitionId }) => ({ topic: name, partition: partitionId })));
  }

  async offsetRange(topic: string): Promise<Map<number, { low: number; high: number }>> {
    const offsets = await retryingKafkaErrors(() => this.admin.fetchTopicOffsets(topic));
    return new Map(offsets.map(({ partition, low, high }) => [partition, { low: Number(low), high: Number(high) }]));
  }

  async logEndOffsets(topic: string): Promise<Map<number, number>> {
    return retryingKafkaErrors(() => logEndOffsets(this.kafka, topic));
  }

  async offsetsAt(topic: string, timestamp: number): Promise<Map<number, number>> {
    const offsets = await retryingKafkaErrors(() => this.admin.fetchTopicOffsetsByTimestamp(topic, timestamp));
    const range = await this.offsetRange(topic);
    return new Map(offsets.map(({ partition, offset }) => [partition, Number(offset) < 0 ? range.get(partition)!.high : Number(offset)]));
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const committed = await this.committedPositions(groupId, topic);
    return new Map([...committed].map(([partition, { offset }]) => [partition, offset]));
  }

  async committedPositions(groupId: string, topic: string): Promise<Map<number, CommittedPosition>> {
    const [result] = await retryingKafkaErrors(() => this.admin.fetchOffsets({ groupId, topics: [topic] }));
    const committed = new Map<number, CommittedPosition>();
    for (const { partition, offset, metadata } of result?.partitions ?? []) {
      if (Number(offset) >= 0) committed.set(partition, { offset: Number(offset), metadata: metadata ?? null });
    }
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

  /** Deletes a consumer group that has no members left. */
  async deleteGroup(groupId: string): Promise<void> {
    await this.admin.deleteGroups([groupId]);
  }

  /** ConfigResourceTypes comes through the default export: kafkajs is CommonJS and Node sees no such named export. */
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

  async createTopic(topic: string, partitions: number, config: Readonly<Record<string, string>> = {}): Promise<void> {
    const created = await this.admin.createTopics({
      waitForLeaders: false,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }],
    });
    if (!created) throw new WeirError(`Kafka topic ${topic} already exists on ${this.brokers.join(',')}`);
    await this.waitForLeaders(topic, partitions);
  }

  /**
   * kafkajs's own wait (`waitForLeaders: true`) gives up when the broker does not know the new topic yet ("This server
   * does not host this topic-partition"), which happens on a loaded machine: poll the metadata instead.
   */
  private async waitForLeaders(topic: string, partitions: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        const found = (await this.admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? [];
        if (found.length === partitions && found.every(({ leader }) => leader >= 0)) return;
      } catch (error) {
        lastError = error;
      }
      await sleep(100);
    }
    throw new WeirError(`Kafka topic ${topic}: not every partition has a leader after ${timeoutMs} ms`, { cause: lastError });
  }

  async close(): Promise<void> {
    await this.admin.disconnect();
  }
}

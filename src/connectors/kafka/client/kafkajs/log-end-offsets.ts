import type { Kafka } from 'kafkajs';

/**
 * The log end offsets (high watermarks) of a topic's partitions: where the next record will be written, past the
 * records of transactions still open and of committed ones whose markers are not written yet. kafkajs's admin asks
 * for offsets at read_committed only (the last stable offset), and no public kafkajs call asks at read_uncommitted,
 * so this makes a short-lived kafkajs cluster connection of that isolation level through kafkajs's private cluster
 * factory (kafkajs is in maintenance mode: its internals do not move; load.ts patches two others the same way).
 */
export async function logEndOffsets(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  const cluster = readUncommittedCluster(kafka);
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    await cluster.refreshMetadata();
    const partitions = cluster.findTopicPartitionMetadata(topic).map(({ partitionId }) => ({ partition: partitionId }));
    const [offsets] = await cluster.fetchTopicsOffset([{ topic, fromBeginning: false, partitions }]);
    return new Map((offsets?.partitions ?? []).map(({ partition, offset }) => [partition, Number(offset)]));
  } finally {
    await cluster.disconnect();
  }
}

/** The part of kafkajs's (private) Cluster this uses. */
interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  fetchTopicsOffset(topics: { topic: string; fromBeginning: boolean; partitions: { partition: number }[] }[]): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

/** kafkajs's protocol value for read_uncommitted. */
const READ_UNCOMMITTED = 0;

function readUncommittedCluster(kafka: Kafka): KafkajsCluster {
  const factory = Object.getOwnPropertySymbols(kafka).find((symbol) => symbol.description === 'private:Kafka:createCluster');
  const create = factory === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[factory];
  if (typeof create !== 'function') throw new Error('this kafkajs version has no private cluster factory: log end offsets cannot be read');
  return (create as (options: object) => KafkajsCluster)({ allowAutoTopicCreation: false, isolationLevel: READ_UNCOMMITTED });
}

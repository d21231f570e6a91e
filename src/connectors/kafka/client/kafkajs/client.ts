import type { Kafka } from 'kafkajs';
import type {
  FetcherOptions,
  KafkaClient,
  KafkaConnectionOptions,
  KafkaProducer,
  PartitionFetcher,
  PartitionOffset,
  TransactionalProducer,
  TransactionalProducerOptions,
} from '../interface.ts';
import { resolveBrokers } from '../connection.ts';
import { KafkajsAdmin } from './admin.ts';
import { kafkajsClient } from './connection.ts';
import { KafkajsFetcher } from './fetcher.ts';
import { createWeirPartitioner } from './fast-send.ts';
import { sendBatches } from './produce.ts';
import { retryingKafkaErrors } from './retry.ts';
import { takeOverTransactionalId } from './transactions.ts';

/** Private to kafkajs, but stable in its maintenance line (2.2.x): the factory of its cluster connections. */
const CREATE_CLUSTER = 'private:Kafka:createCluster';

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

/** weir's Kafka client on kafkajs (2.2.x, in maintenance mode; its read_committed fix is applied in load.ts). */
export class KafkajsClient implements KafkaClient {
  readonly brokers: readonly string[];
  readonly kafka: Kafka;
  private cluster: Promise<InternalCluster> | undefined;

  constructor(options: KafkaConnectionOptions = {}) {
    this.brokers = resolveBrokers(options.brokers);
    this.kafka = kafkajsClient(this.brokers, options.clientId ?? 'weir');
  }

  async admin(): Promise<KafkajsAdmin> {
    const admin = this.kafka.admin();
    await admin.connect();
    return new KafkajsAdmin(admin, this.brokers, this.kafka);
  }

  async fetcher(options: FetcherOptions): Promise<PartitionFetcher> {
    const fetcher = new KafkajsFetcher(this, options);
    await fetcher.open();
    return fetcher;
  }

  async producer(): Promise<KafkaProducer> {
    // Idempotent: a retried send is not written twice; kafkajs requires one request in flight for it.
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: createWeirPartitioner });
    await producer.connect();
    return { send: (batches) => sendBatches(producer, batches), close: () => producer.disconnect() };
  }

  transactionalProducer(options: TransactionalProducerOptions): Promise<TransactionalProducer> {
    return takeOverTransactionalId(this.kafka, options);
  }

  /**
   * Generation -1 and no member id, as Java's KafkaConsumer commits with assign(). kafkajs's admin can only commit by
   * joining the group; its cluster connection can do it directly.
   */
  async commitGroupOffsets(groupId: string, offsets: readonly PartitionOffset[], metadata: string): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: string; metadata: string }[]>();
    for (const { topic, partition, offset } of offsets) {
      const partitions = byTopic.get(topic) ?? [];
      partitions.push({ partition, offset: String(offset), metadata });
      byTopic.set(topic, partitions);
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    const cluster = await this.commitConnection();
    await retryingKafkaErrors(async () => {
      const coordinator = await cluster.findGroupCoordinator({ groupId });
      await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics });
    });
  }

  /** Ends the connection offset commits kept open. */
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

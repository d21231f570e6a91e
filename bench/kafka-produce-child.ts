/**
 * One measurement of the `kafka-produce` suite (bench/kafka-produce.ts), in a process of its own, because weir's
 * grouping fix changes kafkajs for the whole process once loaded: `node --import tsx bench/kafka-produce-child.ts
 * <spec json>`. Prints one JSON line.
 *
 * Both paths start from the same objects and send them through one idempotent producer, one send at a time, each send
 * holding `perPartition` records of every partition (keys spread evenly), acks=all:
 * - kafkajs: plain kafkajs 2.2.4 as an app uses it: string key and JSON value per message, its DefaultPartitioner
 *   (murmur2 with Long), its sendBatch with its quadratic grouping;
 * - weir: the sink's path: serialised to Buffers, grouped by weir's partitioner (partition-batcher.ts), sent as
 *   per-partition batches through weir's client (client/kafkajs/fast-send.ts: kafkajs with the grouping fix).
 */
export interface ProduceSpec {
  readonly path: 'kafkajs' | 'weir';
  readonly brokers: string;
  readonly topic: string;
  readonly partitions: number;
  readonly records: number;
  readonly perPartition: number;
}

const USERS = 10_000;

async function main(spec: ProduceSpec): Promise<Record<string, unknown>> {
  const sends = await (spec.path === 'weir' ? weirSends(spec) : kafkajsSends(spec));
  const records = Array.from({ length: spec.records }, (_, i) => ({ user: `user-${i % USERS}`, n: i }));
  const perSend = spec.perPartition * spec.partitions;
  await sends.ready;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let at = 0; at < records.length; at += perSend) await sends.send(records.slice(at, at + perSend));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await sends.close();
  return {
    bench: 'kafka-produce',
    path: spec.path,
    perPartition: spec.perPartition,
    partitions: spec.partitions,
    records: spec.records,
    recordsPerSec: Math.round(spec.records / (ms / 1000)),
    cpuSecondsPerMillionRecords: Number((((cpu.user + cpu.system) / 1e6) * (1e6 / spec.records)).toFixed(2)),
  };
}

interface Sends {
  readonly ready: Promise<void>;
  send(records: readonly { user: string; n: number }[]): Promise<void>;
  close(): Promise<void>;
}

async function kafkajsSends(spec: ProduceSpec): Promise<Sends> {
  const { Kafka, Partitioners, logLevel } = (await import('kafkajs')).default;
  const producer = new Kafka({ brokers: spec.brokers.split(','), clientId: 'bench-produce', logLevel: logLevel.ERROR }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  return {
    ready: producer.connect(),
    send: async (records) => {
      const messages = records.map((record) => ({ key: record.user, value: JSON.stringify(record) }));
      await producer.sendBatch({ topicMessages: [{ topic: spec.topic, messages }], acks: -1 });
    },
    close: () => producer.disconnect(),
  };
}

async function weirSends(spec: ProduceSpec): Promise<Sends> {
  const { createKafkaClient } = await import('../src/connectors/kafka/client/index.ts');
  const { toOutgoing } = await import('../src/connectors/kafka/outgoing.ts');
  const { PartitionBatcher } = await import('../src/connectors/kafka/partition-batcher.ts');
  const { PartitionCounts } = await import('../src/connectors/kafka/partition-counts.ts');
  const client = createKafkaClient({ brokers: spec.brokers, clientId: 'bench-produce' });
  const admin = await client.admin();
  const counts = new PartitionCounts(admin);
  await counts.fetch([spec.topic]);
  const batcher = new PartitionBatcher(counts);
  const options = { topic: spec.topic, serializer: (record: unknown) => JSON.stringify(record), key: (record: { user: string }) => record.user };
  const producer = client.producer();
  return {
    ready: producer.then(() => undefined),
    send: async (records) => {
      for (const record of records) batcher.add(toOutgoing(options, record));
      await (await producer).send(batcher.drain());
    },
    close: async () => {
      await (await producer).close();
      await admin.close();
      await client.close();
    },
  };
}

process.stdout.write(`${JSON.stringify(await main(JSON.parse(process.argv[2]!) as ProduceSpec))}\n`);

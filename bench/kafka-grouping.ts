import { createRequire } from 'node:module';

/**
 * `node --import tsx bench/kafka-grouping.ts [--records N]`: the CPU cost, on one thread and without a broker, of
 * what a sink does before a produce request is encoded: choosing each record's partition and grouping a send's
 * records by partition. kafkajs 2.2.4 (its DefaultPartitioner with Long murmur2, its grouping that copies the
 * partition's array per record) against weir's (partition-batcher.ts: Math.imul murmur2, one array per partition),
 * by records per partition per send, 4 partitions, keyed records. Medians of 5 interleaved runs, ns per record.
 */
const require = createRequire(import.meta.url);
// kafkajs's own grouping, taken before weir's fix replaces it in the module cache.
const kafkajsGrouping = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (args: object) => Record<number, unknown[]>;
const kafkajsPartitioner = (require('kafkajs/src/producer/partitioners/default/index.js') as () => (args: object) => number)();
const { toOutgoing } = await import('../src/connectors/kafka/outgoing.ts');
const { PartitionBatcher } = await import('../src/connectors/kafka/partition-batcher.ts');
const { PartitionCounts } = await import('../src/connectors/kafka/partition-counts.ts');

const RECORDS = Number(process.argv[process.argv.indexOf('--records') + 1] || 400_000);
const PARTITIONS = 4;
const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0 }));
const records = Array.from({ length: RECORDS }, (_, i) => ({ user: `user-${i % 10_000}`, n: i }));

const counts = new PartitionCounts({ partitionsOf: async () => partitionMetadata.map(({ partitionId }) => ({ topic: 't', partition: partitionId })) });
await counts.fetch(['t']);
const options = { topic: 't', serializer: (record: unknown) => JSON.stringify(record), key: (record: { user: string }) => record.user };

function kafkajsPath(perSend: number): void {
  for (let at = 0; at < RECORDS; at += perSend) {
    const messages = records.slice(at, at + perSend).map((record) => ({ key: record.user, value: JSON.stringify(record) }));
    kafkajsGrouping({ topic: 't', partitionMetadata, messages, partitioner: kafkajsPartitioner });
  }
}

function weirPath(perSend: number): void {
  const batcher = new PartitionBatcher(counts);
  for (let at = 0; at < RECORDS; at += perSend) {
    for (const record of records.slice(at, at + perSend)) batcher.add(toOutgoing(options, record));
    batcher.drain();
  }
}

const nsPerRecord = (run: () => void): number => {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / RECORDS;
};
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log('| records per partition per send | kafkajs ns/record | weir ns/record |');
console.log('|---|---|---|');
for (const perPartition of [250, 1_000, 4_000]) {
  const kafkajs: number[] = [];
  const weir: number[] = [];
  for (let round = 0; round < 5; round++) {
    kafkajs.push(nsPerRecord(() => kafkajsPath(perPartition * PARTITIONS)));
    weir.push(nsPerRecord(() => weirPath(perPartition * PARTITIONS)));
  }
  console.log(`| ${perPartition} | ${Math.round(median(kafkajs))} | ${Math.round(median(weir))} |`);
}

/**
 * The Kafka client module: weir's own interface (interface.ts) and the adapter behind it. Everything outside this
 * folder imports from here, and never a client library (`npm run lint:deps` enforces it for kafkajs).
 */
import type { KafkaClient, KafkaConnectionOptions } from './interface.ts';
import { KafkajsClient } from './kafkajs/client.ts';

export type * from './interface.ts';
export { BROKERS_VARIABLE, partitionKey, resolveBrokers } from './connection.ts';
export { probeKafka } from './kafkajs/probe.ts';

/** A Kafka client for a connector: kafkajs's adapter, today the only one. */
export function createKafkaClient(options: KafkaConnectionOptions = {}): KafkaClient {
  return new KafkajsClient(options);
}

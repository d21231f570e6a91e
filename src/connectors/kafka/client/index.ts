/**
 * The Kafka client module: weir's own interface (interface.ts) and the adapter behind it. Everything outside this
 * folder imports from here, and never a client library (`npm run lint:deps` enforces it for kafkajs).
 */
export type * from './interface.ts';
export { BROKERS_VARIABLE, partitionKey, resolveBrokers } from './connection.ts';

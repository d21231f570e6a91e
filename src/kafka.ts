/**
 * `weir/kafka`: Kafka sources and sinks (at-least-once or exactly-once) and the dead-letter sink.
 * @module weir/kafka
 */
export { KafkaSource, ownerOf, type KafkaSourceOptions, type StartingOffsets, type WithoutDeserializer } from './connectors/kafka/source.ts';
export type { KafkaSourcePosition } from './connectors/kafka/source-reader.ts';
export { KafkaSink, type KafkaSinkOptions, type WithoutSerializer } from './connectors/kafka/sink.ts';
export type { KafkaEpoch } from './connectors/kafka/epoch-writer.ts';
export { deserializers, serializers, type Deserializer, type Serializer, type KafkaRecordView } from './connectors/kafka/serde.ts';
export { BROKERS_VARIABLE, type KafkaConnectionOptions, type TopicPartition } from './connectors/kafka/client/index.ts';
export { deadLetterSink, DEAD_LETTER_HEADER_PREFIX, type DeadLetterSinkOptions } from './connectors/kafka/dead-letter-sink.ts';

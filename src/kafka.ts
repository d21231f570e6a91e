/** `weir/kafka`: Kafka connectors. */
export { KafkaSource, ownerOf, type KafkaSourceOptions, type StartingOffsets } from './connectors/kafka/source.ts';
export type { KafkaSourcePosition } from './connectors/kafka/source-reader.ts';
export { KafkaSink, type KafkaSinkOptions } from './connectors/kafka/sink.ts';
export { deserializers, serializers, type Deserializer, type Serializer, type KafkaRecordView } from './connectors/kafka/serde.ts';
export { BROKERS_VARIABLE, type KafkaConnectionOptions } from './connectors/kafka/client.ts';
export { deadLetterSink, DEAD_LETTER_HEADER_PREFIX, type DeadLetterSinkOptions } from './connectors/kafka/dead-letter-sink.ts';

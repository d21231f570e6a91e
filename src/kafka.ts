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
export { clusterMetadata, type PollOptions, type HttpPollOptions } from './connectors/multi-region/metadata-providers.ts';
export type { ClusterMetadata, ClusterMetadataProvider, ClusterSpec, StreamPlacement, MigrationState, MigrationPhase } from './connectors/multi-region/cluster-metadata.ts';
export { MIGRATION_PHASES } from './connectors/multi-region/cluster-metadata.ts';
export { RECORD_ID_HEADER, decodeRecordId, type RecordId } from './connectors/multi-region/record-id.ts';
export type { ClusterHealth, LagAtCheckpoint } from './connectors/multi-region/cluster-health.ts';
export { MultiClusterKafkaSink, type MultiClusterKafkaSinkOptions, type MultiClusterSinkOptionsWithoutSerializer } from './connectors/multi-region/multi-cluster-sink.ts';
export type { ClusterEpoch } from './connectors/multi-region/shares.ts';
export { MultiClusterKafkaSource, type MultiClusterSourceOptions, type MultiClusterWithoutDeserializer } from './connectors/multi-region/multi-cluster-source.ts';
export type { MultiClusterSourceState, RetainedPositions } from './connectors/multi-region/source-state.ts';
export type { EpochDedupState, EpochInterval } from './connectors/multi-region/epoch-dedup.ts';

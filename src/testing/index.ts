/**
 * `weir/testing`: run jobs in tests on the real worker-thread runtime and inspect what they produced; prove a job
 * exactly-once under generated faults (`checkExactlyOnce`, `faultSchedules`, `filesIo`).
 * @module weir/testing
 */
export { runJob, type RunOptions, type JobResult, type OperatorStats } from '../runtime/coordinator.ts';
export { CollectSink } from '../connectors/memory.ts';
export { faultPoint, releaseHold, FAULTS_VARIABLE, type FaultSpec, type FaultAction } from '../core/fault-points.ts';
export { events, type EventsOptions } from './events.ts';
export {
  countRecords,
  decodeEvent,
  encodeInput,
  encodeRecord,
  isStreamRecord,
  onTimeByKey,
  type EncodedEvent,
  type PoisonReason,
  type PoisonRecord,
  type StreamCounts,
  type StreamRecord,
  type TestEvent,
} from './stream-records.ts';
export { startKafka, stopKafka, restartKafka, type LocalKafka, type StartKafkaOptions } from './kafka/local-kafka.ts';
export { createTopic } from './kafka/broker.ts';
export type { TestIo, IoRun, IoRunRequest, IoFaultKind } from './io.ts';
export { filesIo, publishedRecords, type FilesIoOptions, type FilesIoParams } from './files-io.ts';
export { kafkaIo, type KafkaIoOptions, type KafkaIoParams, type KafkaTestIo } from './kafka-io.ts';

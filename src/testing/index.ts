/**
 * `weir/testing`: run jobs in tests on the real worker-thread runtime and inspect what they produced; prove a job
 * exactly-once under generated faults (`checkExactlyOnce`, `faultSchedules`, `filesIo`, `kafkaIo`, `memoryIo`) over generated event
 * streams (`events`), against a local Kafka broker the kit starts (`startKafka`); unit-test user functions with a
 * controlled clock (`OperatorHarness`).
 * @module weir/testing
 */
export { runJob } from '../runtime/run-job.ts';
export type { RunOptions, JobResult, OperatorStats } from '../runtime/coordinator.ts';
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
export { createTopic, type BrokerTuning } from './kafka/broker.ts';
export {
  OperatorHarness,
  HarnessSnapshot,
  type HarnessOptions,
  type HarnessBuilder,
  type HarnessJobSettings,
  type TimestampedValue,
} from './operator-harness.ts';
export type { TestIo, IoRun, IoRunRequest, IoFaultKind } from './io.ts';
export { filesIo, publishedRecords, type FilesIoOptions, type FilesIoParams } from './files-io.ts';
export { memoryIo, type MemoryIoParams } from './memory-io.ts';
export { kafkaIo, type KafkaIoOptions, type KafkaIoParams, type KafkaTestIo } from './kafka-io.ts';
export { checkExactlyOnce, type CheckOptions } from './check-exactly-once.ts';
export {
  faultSchedules,
  describeSchedule,
  describeFault,
  faultKindsOf,
  PROTOCOL_POINTS,
  PROCESS_FAULT_KINDS,
  type FaultSchedule,
  type ScheduledFault,
  type FaultKind,
  type ProtocolPoint,
  type FaultScheduleOptions,
} from './schedule.ts';
export { diffOutputs, formatDiff, type Comparison, type OutputDiff, type KeyDiff } from './compare.ts';
export { ExactlyOnceViolation, FaultsNotFired } from './errors.ts';
export { tallyFaults, faultLabel, type CheckReport, type ResolvedFault } from './report.ts';
export { runWeir, WEIR_BIN, type ProcessOutcome, type RunWeirOptions } from './weir-process.ts';

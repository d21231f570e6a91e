/**
 * `weir`: the DataStream API (jobs, streams, windows, joins, keyed state, watermarks), the built-in sources and sinks
 * other than Kafka, and `runJob`. Internals stay unexported (package.json exports map).
 * @module weir
 */
export { defineJob, type JobDefinition, type JobOptions, type JobBuilder, type BuilderResult, type NotAPromise } from './api/job.ts';
export { StreamExecutionEnvironment, type ExchangeOptions } from './api/environment.ts';
export { DataStream, KeyedStream, SingleOutputStream, SinkStream } from './api/data-stream.ts';
export { OutputTag } from './core/output-tag.ts';
export type {
  Collector,
  FilterFunction,
  FlatMapFunction,
  KeyedEndOfInputContext,
  KeyedProcessContext,
  KeyedProcessFunction,
  KeyedCoProcessFunction,
  OnTimerContext,
  TimerService,
  KeySelector,
  MapFunction,
  ProcessContext,
  ProcessFunction,
  ReduceFunction,
  RuntimeContext,
  UndeclaredOutput,
} from './operators/functions.ts';
export {
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  type ValueState,
  type ListState,
  type MapState,
  type ReducingState,
  type AggregatingState,
  type AggregateFunction,
  type StateTtlConfig,
  type StateOptions,
  type AnyStateDescriptor,
  type StateHandleFor,
} from './state/descriptors.ts';
export {
  WatermarkStrategy,
  NO_TIMESTAMP,
  MIN_WATERMARK,
  MAX_WATERMARK,
  type WatermarkGenerator,
  type WatermarkOutput,
  type TimestampAssigner,
} from './api/watermark-strategy.ts';
export { Time } from './api/time.ts';
export { WindowedStream, type ProcessWindowFunction } from './api/windowed-stream.ts';
export { AllWindowedStream, type ProcessAllWindowFunction } from './api/all-windowed-stream.ts';
export { ConnectedStreams, ConnectedKeyedStreams } from './api/connected-streams.ts';
export { JoinedStreams, JoinWhereEqual, WindowJoin, type JoinFunction } from './api/joined-streams.ts';
export { IntervalJoin, IntervalJoined } from './api/interval-join.ts';
export type { IntervalJoinContext, IntervalJoinFunction } from './operators/join/interval-join.ts';
export {
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  GlobalWindows,
  type WindowAssigner,
} from './operators/window/assigners.ts';
export {
  EventTimeTrigger,
  ProcessingTimeTrigger,
  CountTrigger,
  ContinuousEventTimeTrigger,
  ContinuousProcessingTimeTrigger,
  PurgingTrigger,
  EndOfStreamTrigger,
  type Trigger,
  type TriggerContext,
  type TriggerResult,
  type OnMergeContext,
} from './operators/window/triggers.ts';
export type { TimeWindow, GlobalWindow, Window, WindowCodec } from './operators/window/windows.ts';
export type { Namespace } from './state/backend.ts';
export type { WindowContext } from './operators/window/window-operator.ts';
export { BadRecordError, type Source, type SourceReader, type SourceOutput, type ReaderOutput, type PollResult } from './connectors/source.ts';
export { DEAD_LETTERS, rejectRecord, RejectedRecordError, type DeadLetter, type DeadLetterSource, type RejectedRecord } from './connectors/dead-letter.ts';
export type { Sink, SinkContext, SinkWriter, TransactionalSink, TransactionalSinkWriter, Committer } from './connectors/sink.ts';
export type { SnapshotFiles, StoredFile, RestoredFileReader } from './core/snapshot-files.ts';
export { TransactionalFileSink, type TransactionalFileSinkOptions, type FileCommittable } from './connectors/transactional-file-sink.ts';
export type { CheckpointConfig } from './api/environment.ts';
export type { RestartStrategyConfig } from './api/restart-strategy.ts';
export { GeneratorSource, RecordRandom, type GeneratorOptions } from './connectors/generator.ts';
export { ConsoleSink, type ConsoleSinkOptions } from './connectors/console.ts';
export { FileSource, FileSink, JsonLinesFileSource, JsonLinesFileSink, type JsonLinesSourceOptions, type JsonLinesSinkOptions } from './connectors/files.ts';
export { CollectSink, DiscardingSink, ElementsSource } from './connectors/memory.ts';
export { WeirError, FatalError, JobDefinitionError, JobFailedError, OperatorError, isFatal, type WeirErrorCode, type WeirErrorOptions } from './core/errors.ts';
export { runJob } from './runtime/run-job.ts';
export type { RunOptions, JobResult, OperatorStats } from './runtime/coordinator.ts';

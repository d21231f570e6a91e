// Public API of weir. Internals stay unexported (package.json exports map).
export { defineJob, type JobDefinition, type JobOptions } from './api/job.ts';
export { StreamExecutionEnvironment, type ExchangeOptions } from './api/environment.ts';
export { DataStream, KeyedStream, SingleOutputStream, SinkStream } from './api/data-stream.ts';
export { OutputTag } from './api/output-tag.ts';
export type {
  Collector,
  FilterFunction,
  FlatMapFunction,
  KeyedEndOfInputContext,
  KeyedProcessContext,
  KeyedProcessFunction,
  KeySelector,
  MapFunction,
  ProcessContext,
  ProcessFunction,
  ReduceFunction,
  RuntimeContext,
} from './api/functions.ts';
export { ValueStateDescriptor, type ValueState } from './state/descriptors.ts';
export type { Source, SourceReader, SourceOutput, PollResult } from './connectors/source.ts';
export type { Sink, SinkWriter } from './connectors/sink.ts';
export { GeneratorSource, RecordRandom, type GeneratorOptions } from './connectors/generator.ts';
export { ConsoleSink, type ConsoleSinkOptions } from './connectors/console.ts';
export { FileSource, FileSink, JsonLinesFileSource, JsonLinesFileSink } from './connectors/files.ts';
export { CollectSink, DiscardingSink } from './connectors/memory.ts';
export { WeirError, JobDefinitionError, JobFailedError, OperatorError } from './runtime/errors.ts';
export { runJob, type RunOptions, type JobResult, type OperatorStats } from './runtime/coordinator.ts';

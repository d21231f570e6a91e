import { NO_WATERMARK } from './stats-board.ts';
import type { KafkaPartitionLag } from '../connectors/kafka/partition-lag.ts';

export type { KafkaPartitionLag };

/**
 * What a running job knows about itself, as one snapshot: the job's JSON routes and its Prometheus metrics both read
 * it (src/runtime/observations.ts). Times are ms since the epoch; watermarks are ms of event time, null before the
 * first one, and END_OF_EVENT_TIME once a bounded input ended (Flink shows Long.MAX_VALUE).
 */

/** The watermark of an input that ended (event time is over). */
export const END_OF_EVENT_TIME = Number.MAX_SAFE_INTEGER;

/** One operator subtask, as the stats board has it. */
export interface SubtaskObservation {
  readonly subtask: number;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly recordsInPerSecond: number;
  readonly recordsOutPerSecond: number;
  /** Since the subtask (re)started: Flink's busy, backpressured and idle times. */
  readonly busyMs: number;
  readonly backPressuredMs: number;
  readonly idleMs: number;
  /** Over the rate window, ms per second (they add up to about 1000), as Flink's busyTimeMsPerSecond and the others. */
  readonly busyTimeMsPerSecond: number;
  readonly backPressuredTimeMsPerSecond: number;
  readonly idleTimeMsPerSecond: number;
  readonly inputWatermark: number | null;
  readonly outputWatermark: number | null;
  readonly lateRecordsDropped: number;
  readonly deadLetters: number;
  /** Keyed state reads the state cache answered, and those that read LMDB (0 for operators without keyed state). */
  readonly stateCacheHits: number;
  readonly stateCacheMisses: number;
}

/** One operator (a node of the job graph) with its subtasks. */
export interface OperatorObservation {
  readonly operatorId: string;
  readonly name: string;
  readonly kind: 'source' | 'operator';
  readonly vertexId: number;
  readonly parallelism: number;
  readonly subtasks: readonly SubtaskObservation[];
}

/** A vertex (a chain of operators run as one subtask), in the spirit of Flink's job vertex. */
export interface VertexObservation {
  readonly id: number;
  /** Its operators' names, joined as Flink names a chain. */
  readonly name: string;
  readonly parallelism: number;
  readonly operators: readonly { readonly id: string; readonly name: string; readonly recordsIn: number; readonly recordsOut: number }[];
  /** Into the chain's head, and out of the chain on its edges to other vertices. */
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly recordsInPerSecond: number;
  readonly recordsOutPerSecond: number;
  /** The busiest subtask's (as Flink's vertex view shows the maximum). */
  readonly busyTimeMsPerSecond: number;
  readonly backPressuredTimeMsPerSecond: number;
  /** The least idle subtask's. */
  readonly idleTimeMsPerSecond: number;
  /** The slowest subtask's. */
  readonly inputWatermark: number | null;
  readonly outputWatermark: number | null;
  readonly subtasks: readonly Omit<SubtaskObservation, 'lateRecordsDropped' | 'deadLetters' | 'stateCacheHits' | 'stateCacheMisses'>[];
}

export interface EdgeObservation {
  readonly from: number;
  readonly to: number;
  readonly partitioning: string;
  /** The side output the edge carries, when it is not the main output. */
  readonly sideOutput?: string;
}

export interface GraphObservation {
  readonly vertices: readonly VertexObservation[];
  readonly edges: readonly EdgeObservation[];
}

export interface KafkaSourceLag {
  readonly operatorId: string;
  readonly operator: string;
  readonly groupId: string;
  readonly lag: number;
  readonly partitions: readonly (KafkaPartitionLag & { readonly subtask: number })[];
}

export interface DeadLetterCount {
  readonly operatorId: string;
  readonly operator: string;
  /** The rejecting error's name (see deadLetterReason). */
  readonly reason: string;
  readonly count: number;
}

export interface WatermarkObservation {
  readonly operators: readonly {
    readonly operatorId: string;
    readonly name: string;
    readonly subtasks: readonly { readonly subtask: number; readonly inputWatermark: number | null; readonly outputWatermark: number | null }[];
  }[];
  /** Per source subtask, each split's own watermark where the source has splits (files, partitions). */
  readonly sources: readonly {
    readonly operatorId: string;
    readonly name: string;
    /** The source's output watermark: its slowest subtask's. */
    readonly watermark: number | null;
    readonly subtasks: readonly { readonly subtask: number; readonly watermark: number | null; readonly splits: readonly { readonly split: string; readonly watermark: number | null; readonly idle: boolean }[] }[];
  }[];
}

export interface JobObservation {
  readonly name: string | undefined;
  readonly jobId: string | undefined;
  readonly startedAt: number;
  readonly uptimeMs: number;
  /** Attempts restarted after a failure. */
  readonly restarts: number;
}

/** A watermark as the snapshot shows it: null before the first, END_OF_EVENT_TIME after the last. */
export function watermarkValue(timestamp: number): number | null {
  if (timestamp === NO_WATERMARK || Number.isNaN(timestamp)) return null;
  return timestamp === Number.POSITIVE_INFINITY ? END_OF_EVENT_TIME : timestamp;
}

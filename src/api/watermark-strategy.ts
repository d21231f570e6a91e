import { MAX_WATERMARK, MIN_WATERMARK, NO_TIMESTAMP } from '../core/time.ts';

export { MAX_WATERMARK, MIN_WATERMARK, NO_TIMESTAMP };

/** Where a watermark generator reports progress. */
export interface WatermarkOutput {
  emitWatermark(timestamp: number): void;
}

/** Flink's WatermarkGenerator: sees every event of one split, and is asked periodically for a watermark. */
export interface WatermarkGenerator<T> {
  onEvent(event: T, timestamp: number, output: WatermarkOutput): void;
  onPeriodicEmit(output: WatermarkOutput): void;
}

/** Reads an event's time; `sourceTimestamp` is the source's own (a Kafka record's timestamp), or NO_TIMESTAMP. */
export type TimestampAssigner<T> = (event: T, sourceTimestamp: number) => number;

/** Watermarks trail the largest timestamp seen by a fixed delay, as Flink's BoundedOutOfOrdernessWatermarks. */
class BoundedOutOfOrdernessGenerator<T> implements WatermarkGenerator<T> {
  private maxTimestamp = Number.NEGATIVE_INFINITY;
  constructor(private readonly delayMs: number) {}
  onEvent(_event: T, timestamp: number): void {
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
  }
  onPeriodicEmit(output: WatermarkOutput): void {
    if (this.maxTimestamp !== Number.NEGATIVE_INFINITY) output.emitWatermark(this.maxTimestamp - this.delayMs - 1);
  }
}

/** A source's place in a watermark alignment group (see WatermarkStrategy.withWatermarkAlignment). */
export interface WatermarkAlignmentSpec {
  readonly group: string;
  readonly maxDriftMs: number;
}

/**
 * How a source assigns event time and generates watermarks. Each source split (a file, a Kafka partition, a
 * generator subtask) gets its own generator; a source subtask emits the minimum over its active splits.
 */
export class WatermarkStrategy<T> {
  private constructor(
    /** @internal */ readonly createGenerator: (() => WatermarkGenerator<T>) | undefined,
    /** @internal */ readonly timestampAssigner: TimestampAssigner<T> | undefined,
    /** @internal */ readonly idleTimeoutMs: number | undefined,
    /** @internal */ readonly alignment: WatermarkAlignmentSpec | undefined = undefined,
    /** @internal The out-of-orderness bound it was made with (the health score's watermark skew reads it). */ readonly maxOutOfOrdernessMs: number | undefined = undefined,
  ) {}

  /** Events arrive at most `maxOutOfOrdernessMs` behind the latest one seen. */
  static boundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!(Number.isFinite(maxOutOfOrdernessMs) && maxOutOfOrdernessMs >= 0)) {
      throw new RangeError(`maxOutOfOrdernessMs must be a non-negative number, got ${maxOutOfOrdernessMs}`);
    }
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessGenerator<T>(maxOutOfOrdernessMs), undefined, undefined, undefined, maxOutOfOrdernessMs);
  }

  /** Timestamps never decrease within a split. */
  static monotonousTimestamps<T>(): WatermarkStrategy<T> {
    return WatermarkStrategy.boundedOutOfOrderness<T>(0);
  }

  /** A generator of your own (punctuated watermarks, for example). */
  static custom<T>(createGenerator: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(createGenerator, undefined, undefined);
  }

  /** Timestamps without watermarks: event-time windows then fire only at the end of bounded input. */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(undefined, undefined, undefined);
  }

  /** Reads event time from the record; without it, the source's own timestamp is used. */
  withTimestamp(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(this.createGenerator, assigner, this.idleTimeoutMs, this.alignment, this.maxOutOfOrdernessMs);
  }

  /** A split without records for `timeoutMs` (processing time) no longer holds the watermark back. */
  withIdleness(timeoutMs: number): WatermarkStrategy<T> {
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`idle timeout must be a positive number, got ${timeoutMs}`);
    return new WatermarkStrategy<T>(this.createGenerator, this.timestampAssigner, timeoutMs, this.alignment, this.maxOutOfOrdernessMs);
  }

  /**
   * Flink's watermark alignment (FLIP-182): a source subtask whose watermark is more than `maxDriftMs` ahead of the
   * slowest subtask of the same group (any source with this group name, in this job) stops reading until the others
   * catch up. Without it, a subtask that runs ahead makes every downstream window it opens wait for the slowest
   * source, and state grows with the gap (Nexmark q5 at p2: one source 310 s of event time ahead, RSS 400 to 1,100 MB).
   * Checkpoints and timers go on while a subtask waits; idle and finished subtasks do not hold the group back.
   * Subtasks compare after every poll (src/runtime/watermark-alignment.ts), so an aligned strategy's generator is also
   * asked for its watermark (onPeriodicEmit) after every poll; what goes downstream still follows the interval.
   */
  withWatermarkAlignment(group: string, maxDriftMs: number): WatermarkStrategy<T> {
    if (group.length === 0) throw new TypeError('a watermark alignment group needs a non-empty name');
    if (!(Number.isFinite(maxDriftMs) && maxDriftMs >= 0)) throw new RangeError(`maxDriftMs must be a non-negative number, got ${maxDriftMs}`);
    return new WatermarkStrategy<T>(this.createGenerator, this.timestampAssigner, this.idleTimeoutMs, { group, maxDriftMs }, this.maxOutOfOrdernessMs);
  }
}

import { BadRecordError, type ReaderOutput, type SourceOutput } from '../connectors/source.ts';
import type { DeadLetter } from '../connectors/dead-letter.ts';
import type { RecordTime } from '../operators/operator.ts';
import type { ValveOutput } from './watermark-valve.ts';
import { describeError } from '../core/errors.ts';
import { type WatermarkGenerator, type WatermarkStrategy } from '../api/watermark-strategy.ts';
import { MAX_WATERMARK, MIN_WATERMARK, NO_TIMESTAMP } from '../core/time.ts';

/** One split's event-time progress: its generator, its watermark, and whether it saw records lately. */
class SplitOutput<T> implements SourceOutput<T> {
  watermark = MIN_WATERMARK;
  records = 0;
  recordsAtLastCheck = 0;
  lastActiveAt: number;
  idle = false;
  /** Marked idle by its reader (markSplitIdle) until it emits again or is marked active. */
  markedIdle = false;
  private readonly generator: WatermarkGenerator<T> | undefined;
  private readonly watermarkOutput = { emitWatermark: (timestamp: number) => this.advance(timestamp) };
  /** The strategy's assigner (checked), or the source's own timestamp. */
  private readonly timestampOf: (record: T, sourceTimestamp: number) => number = (_record, sourceTimestamp) => sourceTimestamp;

  constructor(
    strategy: WatermarkStrategy<T> | undefined,
    private readonly time: RecordTime,
    private readonly push: (record: unknown) => void,
    now: number,
  ) {
    this.generator = strategy?.createGenerator?.();
    const assign = strategy?.timestampAssigner;
    this.lastActiveAt = now;
    if (assign !== undefined) {
      this.timestampOf = (record, sourceTimestamp) => {
        let timestamp: number;
        try {
          timestamp = assign(record, sourceTimestamp);
        } catch (error) {
          throw new BadRecordError(`the timestamp assigner threw: ${describeError(error)}`, { cause: error });
        }
        if (typeof timestamp !== 'number' || Number.isNaN(timestamp)) {
          throw new BadRecordError(`the timestamp assigner returned ${String(timestamp)}: event time must be a number (ms)`);
        }
        return timestamp;
      };
    }
  }

  collect(record: T, sourceTimestamp: number = NO_TIMESTAMP): void {
    const timestamp = this.timestampOf(record, sourceTimestamp);
    this.records++;
    this.generator?.onEvent(record, timestamp, this.watermarkOutput);
    this.time.timestamp = timestamp;
    this.push(record);
  }

  periodic(): void {
    this.generator?.onPeriodicEmit(this.watermarkOutput);
  }

  private advance(timestamp: number): void {
    if (timestamp > this.watermark) this.watermark = timestamp;
  }
}

/**
 * Event time at a source subtask: every split (a file, a partition, a generator subtask) has its own watermark
 * generator, and the subtask's watermark is the minimum over its splits that are not idle (Flink's per-split
 * watermarks). Splits without records for the strategy's idle timeout stop holding it back.
 */
export class SourceWatermarks<T> {
  private readonly splits = new Map<string, SplitOutput<T>>();
  private emitted = MIN_WATERMARK;
  private idle = false;
  private readonly startedAt: number;

  constructor(
    private readonly strategy: WatermarkStrategy<T> | undefined,
    private readonly time: RecordTime,
    private readonly push: (record: unknown) => void,
    private readonly clock: () => number,
    /** The source node's DEAD_LETTERS side output, when the job reads it. */
    deadLetters?: (letter: DeadLetter) => void,
  ) {
    this.startedAt = clock();
    const output: ReaderOutput<T> = {
      collect: (record, sourceTimestamp) => (this.defaultSplit ??= this.forSplit('')).collect(record, sourceTimestamp),
      forSplit: (splitId) => this.forSplit(splitId),
      releaseSplit: (splitId) => this.releaseSplit(splitId),
      markSplitIdle: (splitId, idle) => this.markSplitIdle(splitId, idle),
    };
    // A dead letter carries its record's timestamp downstream but is no event: no split's generator sees it.
    this.readerOutput =
      deadLetters === undefined
        ? output
        : {
            ...output,
            deadLetters: (letter) => {
              time.timestamp = letter.timestamp;
              deadLetters(letter);
            },
          };
  }

  /**
   * What the subtask's reader polls into. `collect` goes to a default split, created on first use only: a reader
   * that emits per split (forSplit) must not have an empty default split holding its watermark back.
   */
  readonly readerOutput: ReaderOutput<T>;
  private defaultSplit: SourceOutput<T> | undefined;

  /** No split had records for the idle timeout: downstream does not wait for this subtask. */
  get isIdle(): boolean {
    return this.idle;
  }

  /** Every split's own watermark and whether it is idle now, by split id (the job's watermark route shows them). */
  splitWatermarks(): Record<string, { readonly watermark: number; readonly idle: boolean }> {
    const result: Record<string, { watermark: number; idle: boolean }> = {};
    for (const [splitId, split] of this.splits) result[splitId] = { watermark: split.watermark, idle: split.idle || split.markedIdle };
    return result;
  }

  /**
   * Event-time progress as of now, for watermark alignment after every poll: each split's generator is asked
   * (onPeriodicEmit, so an aligned source calls it more often than the watermark interval), nothing is sent. The
   * minimum over active splits, or over all of them when all are idle: a subtask paused by alignment goes idle, and
   * must still see how far ahead it is. MAX_WATERMARK without a generator: such a source holds nobody back.
   */
  eventTimeProgress(): number {
    if (this.strategy?.createGenerator === undefined) return MAX_WATERMARK;
    let active = Number.POSITIVE_INFINITY;
    let all = Number.POSITIVE_INFINITY;
    for (const split of this.splits.values()) {
      split.periodic();
      if (split.watermark < all) all = split.watermark;
      if (!split.idle && split.watermark < active) active = split.watermark;
    }
    if (active !== Number.POSITIVE_INFINITY) return active;
    return all !== Number.POSITIVE_INFINITY ? all : this.emitted;
  }

  forSplit(splitId: string): SourceOutput<T> {
    let split = this.splits.get(splitId);
    if (split === undefined) {
      split = new SplitOutput<T>(this.strategy, this.time, this.push, this.clock());
      this.splits.set(splitId, split);
    }
    return split;
  }

  /** A finished split no longer holds back the watermark (its last one was emitted already). */
  releaseSplit(splitId: string): void {
    if (splitId === '') this.defaultSplit = undefined;
    this.splits.delete(splitId);
  }

  /** A split whose reader knows it will not deliver for a while stops holding the watermark at once; or is active again. */
  markSplitIdle(splitId: string, idle: boolean): void {
    const split = this.splits.get(splitId);
    if (split === undefined || split.markedIdle === idle) return;
    split.markedIdle = idle;
    split.idle = idle;
    split.recordsAtLastCheck = split.records;
    split.lastActiveAt = this.clock();
  }

  /** Asks every split's generator for its watermark and reports the subtask's progress or idleness. */
  emitPeriodic(output: ValveOutput): void {
    if (this.strategy?.createGenerator === undefined) return;
    const now = this.clock();
    const timeout = this.strategy.idleTimeoutMs;
    let minimum = Number.POSITIVE_INFINITY;
    let active = 0;
    let marked = 0;
    for (const split of this.splits.values()) {
      split.periodic();
      if (split.records !== split.recordsAtLastCheck) {
        split.recordsAtLastCheck = split.records;
        split.lastActiveAt = now;
        split.idle = false;
        split.markedIdle = false;
      } else if (split.markedIdle) {
        marked++;
      } else if (timeout !== undefined && now - split.lastActiveAt >= timeout) {
        split.idle = true;
      }
      if (split.idle) continue;
      active++;
      if (split.watermark < minimum) minimum = split.watermark;
    }
    // A subtask with no splits at all is idle once the timeout has passed since it started; one whose splits are all
    // marked idle by its reader is idle at once, with or without a timeout.
    const allMarked = marked > 0 && marked === this.splits.size;
    const idle = allMarked || (timeout !== undefined && active === 0 && (this.splits.size > 0 || now - this.startedAt >= timeout));
    if (idle !== this.idle) {
      this.idle = idle;
      output.emitIdle(idle);
    }
    if (idle || active === 0) return;
    if (minimum > this.emitted) {
      this.emitted = minimum;
      output.emitWatermark(minimum);
    }
  }
}

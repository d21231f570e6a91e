import type { Collector, KeySelector } from '../functions.ts';
import type { OutputTag } from '../../core/output-tag.ts';
import type { KeyedStateBackend, Namespace } from '../../state/backend.ts';
import type { OperatorContext, OperatorFactory, OperatorOutput, StreamOperator } from '../operator.ts';
import { MapStateDescriptor } from '../../state/descriptors.ts';
import { InternalTimerService, type Timer } from '../../state/timers.ts';
import { guarded } from '../keyed-context.ts';
import { NO_RECORD } from '../../core/time.ts';
import { NO_TIMESTAMP } from '../../core/time.ts';

/** What the join function sees besides the pair: the pair's timestamps and the result's (the later of the two). */
export interface IntervalJoinContext {
  readonly leftTimestamp: number;
  readonly rightTimestamp: number;
  readonly timestamp: number;
  output<X>(tag: OutputTag<X>, value: X): void;
}

export type IntervalJoinFunction<L, R, O> = (left: L, right: R, ctx: IntervalJoinContext, out: Collector<O>) => void;

export interface IntervalJoinSpec<L, R, K, O> {
  readonly leftKey: KeySelector<L, K>;
  readonly rightKey: KeySelector<R, K>;
  /** right.timestamp - left.timestamp must lie in [lowerMs, upperMs] (both inclusive). */
  readonly lowerMs: number;
  readonly upperMs: number;
  readonly fn: IntervalJoinFunction<L, R, O>;
  readonly leftLateTag: OutputTag<L> | undefined;
  readonly rightLateTag: OutputTag<R> | undefined;
}

const LEFT: Namespace = 'left';
const RIGHT: Namespace = 'right';

/**
 * Flink's IntervalJoinOperator (inner join): buffers each side's elements per key and timestamp, joins every new
 * element with the other side's buffered elements in range, and drops buffered elements once the watermark shows no
 * partner can still arrive. Elements behind the watermark on arrival are late: they go to a side output, or are
 * counted and reported.
 */
class IntervalJoinOperator<L, R, K, O> implements StreamOperator<L | R, O> {
  private op!: OperatorContext;
  private out!: OperatorOutput<O>;
  private backend!: KeyedStateBackend;
  private timers!: InternalTimerService;
  private readonly leftBuffer = new MapStateDescriptor<number, L[]>('interval-join-left');
  private readonly rightBuffer = new MapStateDescriptor<number, R[]>('interval-join-right');
  private context!: IntervalJoinContext & { leftTimestamp: number; rightTimestamp: number; timestamp: number };
  /** Late elements with no side output to go to: counted and reported, never dropped silently. */
  lateRecordsDropped = 0;

  constructor(private readonly spec: IntervalJoinSpec<L, R, K, O>) {}

  open(ctx: OperatorContext, output: OperatorOutput<O>): void {
    if (ctx.keyedState === undefined) throw new Error(`operator '${ctx.operatorName}' is keyed but has no keyed state`);
    this.op = ctx;
    this.out = output;
    this.backend = ctx.keyedState;
    this.timers = new InternalTimerService('interval-join', this.backend, ctx.processingTime, {
      onEventTime: (timer) => this.cleanUp(timer),
      onProcessingTime: () => {},
    });
    this.context = {
      leftTimestamp: 0,
      rightTimestamp: 0,
      timestamp: 0,
      output: (tag, value) => output.emitSide(tag.id, value),
    };
  }

  process(record: L | R, input: number): void {
    try {
      const timestamp = this.op.time.timestamp;
      if (timestamp === NO_TIMESTAMP) {
        throw new TypeError('the record has no event timestamp: give its source a WatermarkStrategy with withTimestamp()');
      }
      if (input === 0) this.processLeft(record as L, timestamp);
      else this.processRight(record as R, timestamp);
    } catch (error) {
      throw this.op.fail(error, record);
    }
  }

  private isLate(timestamp: number): boolean {
    return timestamp < this.timers.currentWatermark;
  }

  private processLeft(record: L, timestamp: number): void {
    this.backend.setCurrentKey(this.spec.leftKey(record));
    if (this.isLate(timestamp)) return this.late(record, this.spec.leftLateTag);
    this.buffer(this.leftBuffer, record, timestamp);
    for (const [rightTimestamp, rights] of this.backend.getState(this.rightBuffer).entries()) {
      if (!this.inRange(timestamp, rightTimestamp)) continue;
      for (const right of rights) this.emit(record, timestamp, right, rightTimestamp);
    }
    this.timers.registerEventTimeTimer(LEFT, this.cleanupTime(LEFT, timestamp));
  }

  private processRight(record: R, timestamp: number): void {
    this.backend.setCurrentKey(this.spec.rightKey(record));
    if (this.isLate(timestamp)) return this.late(record, this.spec.rightLateTag);
    this.buffer(this.rightBuffer, record, timestamp);
    for (const [leftTimestamp, lefts] of this.backend.getState(this.leftBuffer).entries()) {
      if (!this.inRange(leftTimestamp, timestamp)) continue;
      for (const left of lefts) this.emit(left, leftTimestamp, record, timestamp);
    }
    this.timers.registerEventTimeTimer(RIGHT, this.cleanupTime(RIGHT, timestamp));
  }

  private buffer<X>(descriptor: MapStateDescriptor<number, X[]>, record: X, timestamp: number): void {
    this.backend.setCurrentNamespace('');
    const buffer = this.backend.getState(descriptor);
    // Appends in place rather than copying the list per element; put marks the entry for writing back.
    const list = buffer.get(timestamp);
    if (list === undefined) buffer.put(timestamp, [record]);
    else {
      list.push(record);
      buffer.put(timestamp, list);
    }
  }

  private inRange(leftTimestamp: number, rightTimestamp: number): boolean {
    const distance = rightTimestamp - leftTimestamp;
    return distance >= this.spec.lowerMs && distance <= this.spec.upperMs;
  }

  /**
   * When a buffered element can no longer meet a partner: a left one meets rights up to `upper` after it, a right one
   * lefts up to `-lower` before it. A partner exactly at the watermark is not late yet, hence the + 1.
   */
  private cleanupTime(side: Namespace, timestamp: number): number {
    return side === LEFT ? timestamp + Math.max(0, this.spec.upperMs) + 1 : timestamp - Math.min(0, this.spec.lowerMs) + 1;
  }

  private emit(left: L, leftTimestamp: number, right: R, rightTimestamp: number): void {
    const timestamp = Math.max(leftTimestamp, rightTimestamp);
    this.context.leftTimestamp = leftTimestamp;
    this.context.rightTimestamp = rightTimestamp;
    this.context.timestamp = timestamp;
    const previous = this.op.time.timestamp;
    this.op.time.timestamp = timestamp;
    this.spec.fn(left, right, this.context, this.out);
    this.op.time.timestamp = previous;
  }

  private late<X>(record: X, tag: OutputTag<X> | undefined): void {
    if (tag !== undefined) this.out.emitSide(tag.id, record);
    else this.lateRecordsDropped++;
  }

  /** Drops buffered elements whose partners can no longer arrive: the inverse of cleanupTime. */
  private cleanUp(timer: Timer): void {
    this.backend.setCurrentNamespace('');
    if (timer.namespace === LEFT) {
      this.backend.getState(this.leftBuffer).remove(timer.timestamp - 1 - Math.max(0, this.spec.upperMs));
    } else {
      this.backend.getState(this.rightBuffer).remove(timer.timestamp - 1 + Math.min(0, this.spec.lowerMs));
    }
  }

  processWatermark(timestamp: number): void {
    guarded(this.op, NO_RECORD, () => this.timers.advanceWatermark(timestamp));
    this.out.emitWatermark(timestamp);
  }
}

export const intervalJoinOperator = <L, R, K, O>(spec: IntervalJoinSpec<L, R, K, O>): OperatorFactory => () =>
  new IntervalJoinOperator(spec) as StreamOperator;

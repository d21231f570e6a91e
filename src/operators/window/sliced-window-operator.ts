import type { KeySelector } from '../functions.ts';
import { faultPoint } from '../../core/fault-points.ts';
import type { OutputTag } from '../../core/output-tag.ts';
import { type KeyedStateBackend, VOID_NAMESPACE } from '../../state/backend.ts';
import { type ValueState, ValueStateDescriptor } from '../../state/descriptors.ts';
import { InternalTimerService, type Timer } from '../../state/timers.ts';
import type { OperatorContext, OperatorFactory, OperatorOutput, StreamOperator } from '../operator.ts';
import { SlidingEventTimeWindows, type WindowAssigner, windowStart } from './assigners.ts';
import { type Folding, refuseForeignWindowState, SLICES } from './window-contents.ts';
import { firingContext, NO_EVENT_TIME, type WindowContext, type WindowEmitter } from './window-operator.ts';
import type { TimeWindow } from './windows.ts';
import { NO_TIMESTAMP } from '../../core/time.ts';

export interface SlicedWindowSpec<T, K, V, R, O> {
  readonly keySelector: KeySelector<T, K>;
  readonly windows: SlidingEventTimeWindows;
  readonly lateDataTag: OutputTag<T> | undefined;
  readonly folding: Folding<T, V, R>;
  readonly emit: WindowEmitter<K, TimeWindow, R, O>;
}

/**
 * Whether windows can be sliced: sliding event-time windows with no gaps between them (size at least the slide), the
 * default trigger and no allowed lateness, whose contents fold and combine (reduce, or aggregate with merge; the
 * caller knows). The sliced operator then gives the results Flink's WindowOperator gives.
 */
export function canSlice(assigner: WindowAssigner<TimeWindow>, customTrigger: boolean, allowedLatenessMs: number): assigner is SlidingEventTimeWindows {
  return assigner instanceof SlidingEventTimeWindows && assigner.size >= assigner.slide && !customTrigger && allowedLatenessMs === 0;
}

/** A key's slices with data, by start, ascending (plain arrays: they are state, and msgpack-friendly). */
interface KeySlices<V> {
  starts: number[];
  values: V[];
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** A copy of a stored folded value, so that a combine that reuses its arguments cannot change the slice. */
function detached<V>(value: V): V {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

/**
 * Sliding windows cut into slices of gcd(size, slide), as Flink's SQL runtime does: an element is folded into the one
 * slice that holds it instead of into each of the size/slide windows that do, and a window's result combines its
 * slices when it fires. A key's slices share one state entry, so an element costs one lookup, and a window firing
 * reads no slice that is not there. One timer per key and window that holds data: a new slice sets the timer of the
 * first window still to fire that holds it; a window that fires sets the next one's when one of its slices goes on into
 * it, and drops the slices that go on into none.
 */
class SlicedWindowOperator<T, K, V, R, O> implements StreamOperator<T, O> {
  private op!: OperatorContext;
  private out!: OperatorOutput<O>;
  private backend!: KeyedStateBackend;
  private timers!: InternalTimerService;
  private slices!: ValueState<KeySlices<V>>;
  private windowContext!: WindowContext<TimeWindow> & { window: TimeWindow };
  /** Late elements with no side output to go to: counted and reported, never dropped silently. */
  lateRecordsDropped = 0;

  private readonly size: number;
  private readonly slide: number;
  private readonly offset: number;
  /** Length of a slice: every window start is a slice start. */
  private readonly sliceMs: number;

  constructor(private readonly spec: SlicedWindowSpec<T, K, V, R, O>) {
    ({ size: this.size, slide: this.slide, offset: this.offset } = spec.windows);
    this.sliceMs = gcd(this.size, this.slide);
  }

  open(ctx: OperatorContext, output: OperatorOutput<O>): void {
    if (ctx.keyedState === undefined) throw new Error(`window operator '${ctx.operatorName}' has no keyed state`);
    this.op = ctx;
    this.out = output;
    this.backend = ctx.keyedState;
    // State and timers are named apart from WindowOperator's: a slice must never be read as a window.
    refuseForeignWindowState(this.backend, ctx.operatorName, true);
    this.slices = this.backend.getState(new ValueStateDescriptor<KeySlices<V>>(SLICES));
    this.timers = new InternalTimerService('window-slices', this.backend, ctx.processingTime, {
      onEventTime: (timer) => this.fire(timer),
      onProcessingTime: () => {},
    });
    this.windowContext = firingContext<TimeWindow>(this.timers, output);
  }

  process(record: T): void {
    try {
      faultPoint('user-function');
      this.processElement(record);
    } catch (error) {
      throw this.op.fail(error, record);
    }
  }

  private processElement(record: T): void {
    const timestamp = this.op.time.timestamp;
    if (timestamp === NO_TIMESTAMP) throw new TypeError(NO_EVENT_TIME);
    const watermark = this.timers.currentWatermark;
    // Late when the last window that holds the element has fired (then every one has); an element after the
    // watermark, the common case, cannot be.
    if (timestamp <= watermark && windowStart(timestamp, this.offset, this.slide) + this.size - 1 <= watermark) {
      if (this.spec.lateDataTag !== undefined) this.out.emitSide(this.spec.lateDataTag.id, record);
      else this.lateRecordsDropped++;
      return;
    }
    this.backend.setCurrentKey(this.spec.keySelector(record));
    this.backend.setCurrentNamespace(VOID_NAMESPACE);
    const slice = windowStart(timestamp, this.offset, this.sliceMs);
    const { fold } = this.spec.folding;
    const slices = this.slices.value();
    if (slices === undefined) {
      this.slices.update({ starts: [slice], values: [fold(undefined, record)] });
      this.sliceOpened(slice, watermark);
      return;
    }
    const { starts, values } = slices;
    // Elements come mostly in order of time: their slice is the last, or a new one after it.
    let at = starts.length - 1;
    while (at >= 0 && starts[at]! > slice) at--;
    if (at >= 0 && starts[at] === slice) {
      values[at] = fold(values[at], record);
    } else {
      starts.splice(at + 1, 0, slice);
      values.splice(at + 1, 0, fold(undefined, record));
      this.sliceOpened(slice, watermark);
    }
    this.slices.update(slices);
  }

  /** The first window that holds the new slice and has not fired will fire it (and set the next). */
  private sliceOpened(slice: number, watermark: number): void {
    let end = windowStart(slice - this.size, this.offset, this.slide) + this.slide + this.size;
    while (end - 1 <= watermark) end += this.slide;
    this.timers.registerEventTimeTimer(end - this.size, end - 1);
  }

  /** The window starting at the timer's namespace is due: emit the combination of its slices, then move on. */
  private fire(timer: Timer): void {
    const start = timer.namespace as number;
    const end = start + this.size;
    this.backend.setCurrentNamespace(VOID_NAMESPACE);
    const slices = this.slices.value();
    if (slices === undefined) return;
    const { starts, values } = slices;
    const { combine, result } = this.spec.folding;
    let combined: V | undefined;
    for (let i = 0; i < starts.length && starts[i]! < end; i++) {
      if (starts[i]! < start) continue;
      combined = combined === undefined ? detached(values[i]!) : combine(combined, detached(values[i]!));
    }
    if (combined !== undefined) {
      this.op.time.timestamp = end - 1;
      this.windowContext.window = { start, end };
      this.spec.emit(this.backend.currentKey as K, this.windowContext, result(combined), this.out);
    }
    // Slices before the next window's start go on into no window still to fire.
    const next = start + this.slide;
    let leaving = 0;
    while (leaving < starts.length && starts[leaving]! < next) leaving++;
    if (leaving === starts.length) {
      this.slices.clear();
      return;
    }
    if (leaving > 0) {
      starts.splice(0, leaving);
      values.splice(0, leaving);
      this.slices.update(slices);
    }
    // A slice of this window goes on into the next: nothing else sets its timer. (A newer slice set it when it opened.)
    if (starts[0]! < end) this.timers.registerEventTimeTimer(next, next + this.size - 1);
  }

  processWatermark(timestamp: number): void {
    this.timers.advanceWatermark(timestamp);
    this.out.emitWatermark(timestamp);
  }
}

export const slicedWindowOperator = <T, K, V, R, O>(spec: SlicedWindowSpec<T, K, V, R, O>): OperatorFactory =>
  () => new SlicedWindowOperator(spec) as StreamOperator;

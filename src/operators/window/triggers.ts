import type { AnyStateDescriptor, StateHandleFor } from '../../state/descriptors.ts';
import { ReducingStateDescriptor } from '../../state/descriptors.ts';
import { type Window, maxTimestamp } from './windows.ts';

/** What a trigger decides: evaluate the window (fire), drop its contents (purge), both, or neither. */
export type TriggerResult = 'continue' | 'fire' | 'purge' | 'fire_and_purge';

/** A trigger's view of the window operator, scoped to the current key and window. */
export interface TriggerContext {
  readonly currentWatermark: number;
  currentProcessingTime(): number;
  registerEventTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
  registerProcessingTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
  /** Trigger state of the current key and window. */
  getPartitionedState<D extends AnyStateDescriptor>(descriptor: D): StateHandleFor<D>;
}

/** When session windows merge, triggers fold the merged windows' state into the new one. */
export interface OnMergeContext extends TriggerContext {
  mergePartitionedState<T>(descriptor: ReducingStateDescriptor<T>): void;
}

/** Flink's Trigger: decides when a window is evaluated. */
export interface Trigger<T, W extends Window = Window> {
  onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult;
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** Triggers that can follow merging (session) windows implement onMerge. */
  onMerge?(window: W, ctx: OnMergeContext): void;
  /** The window is purged for good: delete the trigger's timers and state. */
  clear(window: W, ctx: TriggerContext): void;
}

export const fires = (result: TriggerResult): boolean => result === 'fire' || result === 'fire_and_purge';
export const purges = (result: TriggerResult): boolean => result === 'purge' || result === 'fire_and_purge';

/** Fires once the watermark passes the window's end, and again for each late element within the allowed lateness. */
export class EventTimeTrigger implements Trigger<unknown> {
  static create(): EventTimeTrigger {
    return new EventTimeTrigger();
  }
  onElement(_element: unknown, _timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    const fireAt = maxTimestamp(window);
    if (fireAt <= ctx.currentWatermark) return 'fire';
    ctx.registerEventTimeTimer(fireAt);
    return 'continue';
  }
  onEventTime(time: number, window: Window): TriggerResult {
    return time === maxTimestamp(window) ? 'fire' : 'continue';
  }
  onProcessingTime(): TriggerResult {
    return 'continue';
  }
  onMerge(window: Window, ctx: OnMergeContext): void {
    const fireAt = maxTimestamp(window);
    if (fireAt > ctx.currentWatermark) ctx.registerEventTimeTimer(fireAt);
  }
  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(maxTimestamp(window));
  }
}

/** Fires when the wall clock passes the window's end. */
export class ProcessingTimeTrigger implements Trigger<unknown> {
  static create(): ProcessingTimeTrigger {
    return new ProcessingTimeTrigger();
  }
  onElement(_element: unknown, _timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(maxTimestamp(window));
    return 'continue';
  }
  onEventTime(): TriggerResult {
    return 'continue';
  }
  onProcessingTime(): TriggerResult {
    return 'fire';
  }
  onMerge(window: Window, ctx: OnMergeContext): void {
    ctx.registerProcessingTimeTimer(maxTimestamp(window));
  }
  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(maxTimestamp(window));
  }
}

const sum = (a: number, b: number): number => a + b;
const min = (a: number, b: number): number => Math.min(a, b);

/** Fires each time the window has received `count` more elements. */
export class CountTrigger implements Trigger<unknown> {
  private readonly counted = new ReducingStateDescriptor<number>('trigger-count', sum);
  private constructor(private readonly count: number) {}
  static of(count: number): CountTrigger {
    if (!(Number.isInteger(count) && count > 0)) throw new RangeError(`CountTrigger needs a positive integer count, got ${count}`);
    return new CountTrigger(count);
  }
  onElement(_element: unknown, _timestamp: number, _window: Window, ctx: TriggerContext): TriggerResult {
    const state = ctx.getPartitionedState(this.counted);
    state.add(1);
    if ((state.get() ?? 0) < this.count) return 'continue';
    state.clear();
    return 'fire';
  }
  onEventTime(): TriggerResult {
    return 'continue';
  }
  onProcessingTime(): TriggerResult {
    return 'continue';
  }
  onMerge(_window: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.counted);
  }
  clear(_window: Window, ctx: TriggerContext): void {
    ctx.getPartitionedState(this.counted).clear();
  }
}

/**
 * Flink's continuous triggers: fire every `intervalMs` of their time domain while a window is open, and at its end.
 * The next interval fire is kept in trigger state (merged for sessions) and never goes past the window's end, where
 * the end-of-window fire takes over (the operator clears the window on that timer).
 */
abstract class ContinuousTrigger implements Trigger<unknown> {
  private readonly nextFire = new ReducingStateDescriptor<number>('trigger-next-fire', min);
  protected constructor(private readonly intervalMs: number) {}

  protected abstract registerTimer(ctx: TriggerContext, time: number): void;
  protected abstract deleteTimer(ctx: TriggerContext, time: number): void;

  /** Schedules a window's first interval fire, if it has none, from the current time of the domain. */
  protected scheduleFirst(time: number, window: Window, ctx: TriggerContext): void {
    const state = ctx.getPartitionedState(this.nextFire);
    if (state.get() !== undefined) return;
    const intervalStart = time - (((time % this.intervalMs) + this.intervalMs) % this.intervalMs);
    const next = Math.min(intervalStart + this.intervalMs, maxTimestamp(window));
    state.add(next);
    this.registerTimer(ctx, next);
  }

  /** A timer of the trigger's domain: the window's end, its interval fire (then the next is set), or a stale one. */
  protected onTimer(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === maxTimestamp(window)) return 'fire';
    const state = ctx.getPartitionedState(this.nextFire);
    if (state.get() !== time) return 'continue';
    state.clear();
    const next = Math.min(time + this.intervalMs, maxTimestamp(window));
    state.add(next);
    this.registerTimer(ctx, next);
    return 'fire';
  }

  onMerge(_window: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.nextFire);
    const next = ctx.getPartitionedState(this.nextFire).get();
    if (next !== undefined) this.registerTimer(ctx, next);
  }

  clear(_window: Window, ctx: TriggerContext): void {
    const state = ctx.getPartitionedState(this.nextFire);
    const next = state.get();
    if (next !== undefined) this.deleteTimer(ctx, next);
    state.clear();
  }

  abstract onElement(element: unknown, timestamp: number, window: Window, ctx: TriggerContext): TriggerResult;
  abstract onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult;
  abstract onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult;
}

/** Fires every `intervalMs` of event time while the window is open, and at its end. */
export class ContinuousEventTimeTrigger extends ContinuousTrigger {
  static of(intervalMs: number): ContinuousEventTimeTrigger {
    if (!(intervalMs > 0)) throw new RangeError(`ContinuousEventTimeTrigger needs a positive interval, got ${intervalMs}`);
    return new ContinuousEventTimeTrigger(intervalMs);
  }
  protected registerTimer(ctx: TriggerContext, time: number): void {
    ctx.registerEventTimeTimer(time);
  }
  protected deleteTimer(ctx: TriggerContext, time: number): void {
    ctx.deleteEventTimeTimer(time);
  }
  onElement(_element: unknown, timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    const end = maxTimestamp(window);
    if (end <= ctx.currentWatermark) return 'fire';
    ctx.registerEventTimeTimer(end);
    this.scheduleFirst(timestamp, window, ctx);
    return 'continue';
  }
  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    return this.onTimer(time, window, ctx);
  }
  onProcessingTime(): TriggerResult {
    return 'continue';
  }
  override onMerge(window: Window, ctx: OnMergeContext): void {
    super.onMerge(window, ctx);
    const end = maxTimestamp(window);
    if (end > ctx.currentWatermark) ctx.registerEventTimeTimer(end);
  }
}

/** Fires every `intervalMs` of processing time while the window holds elements, and at its end. */
export class ContinuousProcessingTimeTrigger extends ContinuousTrigger {
  static of(intervalMs: number): ContinuousProcessingTimeTrigger {
    if (!(intervalMs > 0)) throw new RangeError(`ContinuousProcessingTimeTrigger needs a positive interval, got ${intervalMs}`);
    return new ContinuousProcessingTimeTrigger(intervalMs);
  }
  protected registerTimer(ctx: TriggerContext, time: number): void {
    ctx.registerProcessingTimeTimer(time);
  }
  protected deleteTimer(ctx: TriggerContext, time: number): void {
    ctx.deleteProcessingTimeTimer(time);
  }
  onElement(_element: unknown, _timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    this.scheduleFirst(ctx.currentProcessingTime(), window, ctx);
    return 'continue';
  }
  onEventTime(): TriggerResult {
    return 'continue';
  }
  onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    return this.onTimer(time, window, ctx);
  }
}

/** Turns every fire of the wrapped trigger into fire-and-purge. */
export class PurgingTrigger<T, W extends Window> implements Trigger<T, W> {
  private constructor(private readonly inner: Trigger<T, W>) {}
  static of<T, W extends Window>(inner: Trigger<T, W>): PurgingTrigger<T, W> {
    return new PurgingTrigger(inner);
  }
  private static purging(result: TriggerResult): TriggerResult {
    return fires(result) ? 'fire_and_purge' : result;
  }
  onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purging(this.inner.onElement(element, timestamp, window, ctx));
  }
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purging(this.inner.onEventTime(time, window, ctx));
  }
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purging(this.inner.onProcessingTime(time, window, ctx));
  }
  onMerge(window: W, ctx: OnMergeContext): void {
    if (this.inner.onMerge === undefined) throw new TypeError('the wrapped trigger cannot be used with session windows: it has no onMerge');
    this.inner.onMerge(window, ctx);
  }
  clear(window: W, ctx: TriggerContext): void {
    this.inner.clear(window, ctx);
  }
}

/**
 * The default trigger of GlobalWindows: fires when input ends (the final watermark), so a bounded job never loses a
 * global window's contents (Flink 2's end-of-stream trigger).
 */
export class EndOfStreamTrigger implements Trigger<unknown> {
  static create(): EndOfStreamTrigger {
    return new EndOfStreamTrigger();
  }
  onElement(_element: unknown, _timestamp: number, _window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerEventTimeTimer(Number.POSITIVE_INFINITY);
    return 'continue';
  }
  onEventTime(): TriggerResult {
    return 'fire';
  }
  onProcessingTime(): TriggerResult {
    return 'continue';
  }
  clear(_window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(Number.POSITIVE_INFINITY);
  }
}

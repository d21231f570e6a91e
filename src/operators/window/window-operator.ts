import type { Collector, KeySelector } from '../functions.ts';
import { faultPoint } from '../../core/fault-points.ts';
import type { OutputTag } from '../../core/output-tag.ts';
import type { KeyedStateBackend, Namespace } from '../../state/backend.ts';
import type { AnyStateDescriptor, ReducingStateDescriptor, StateHandleFor } from '../../state/descriptors.ts';
import type { OperatorContext, OperatorFactory, OperatorOutput, StreamOperator } from '../operator.ts';
import type { WindowAssigner } from './assigners.ts';
import { refuseForeignWindowState, type WindowContents } from './window-contents.ts';
import { EventTimeTrigger, type OnMergeContext, type Trigger, type TriggerResult, fires, purges } from './triggers.ts';
import { type TimeWindow, type Window, maxTimestamp } from './windows.ts';
import { InternalTimerService, type Timer } from '../../state/timers.ts';
import { MergingWindowSet } from './merging-window-set.ts';
import { NO_TIMESTAMP } from '../../core/time.ts';

/** What a window function sees besides the key and the contents. */
export interface WindowContext<W extends Window> {
  readonly window: W;
  readonly currentWatermark: number;
  currentProcessingTime(): number;
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** The context window functions see, re-pointed at each window as it fires (one object per operator). */
export function firingContext<W extends Window>(timers: InternalTimerService, output: OperatorOutput<unknown>): WindowContext<W> & { window: W } {
  return {
    window: undefined as unknown as W,
    get currentWatermark() {
      return timers.currentWatermark;
    },
    currentProcessingTime: () => timers.currentProcessingTime(),
    output: (tag, value) => output.emitSide(tag.id, value),
  };
}

export const NO_EVENT_TIME = 'the record has no event timestamp: give its source a WatermarkStrategy with withTimestamp()';

/** Turns a window's contents into output records. */
export type WindowEmitter<K, W extends Window, R, O> = (key: K, context: WindowContext<W>, result: R, out: Collector<O>) => void;

export interface WindowOperatorSpec<T, K, W extends Window, R, O> {
  readonly keySelector: KeySelector<T, K>;
  readonly assigner: WindowAssigner<W>;
  readonly trigger: Trigger<T, W>;
  readonly allowedLatenessMs: number;
  readonly lateDataTag: OutputTag<T> | undefined;
  readonly contents: (backend: KeyedStateBackend) => WindowContents<T, R>;
  readonly emit: WindowEmitter<K, W, R, O>;
}

/**
 * Flink's WindowOperator: assigns each element to windows, keeps each window's contents in keyed state under the
 * window's namespace, asks the trigger when to evaluate, and purges a window once the watermark passes its end plus
 * the allowed lateness. Elements for windows already purged go to the late-data side output.
 */
class WindowOperator<T, K, W extends Window, R, O> implements StreamOperator<T, O> {
  private op!: OperatorContext;
  private out!: OperatorOutput<O>;
  private backend!: KeyedStateBackend;
  private timers!: InternalTimerService;
  private contents!: WindowContents<T, R>;
  private sessions: MergingWindowSet | undefined;
  private readonly triggerContext = new WindowTriggerContext();
  private windowContext!: WindowContext<W> & { window: W };
  /** Late elements with no side output to go to: counted and reported, never dropped silently. */
  lateRecordsDropped = 0;

  /**
   * Flink's EventTimeTrigger registers the window-end timer on every element. For a fixed window that already held
   * elements the timer is set (or the window has fired, when the watermark passed its end), so the call is skipped:
   * about a quarter of the per-element cost. Not for sessions, whose window grows with an element.
   */
  private readonly repeatsOnlyItsTimer: boolean;

  /** Copied out of the spec: read for every element. */
  private readonly eventTime: boolean;
  private readonly allowedLatenessMs: number;

  constructor(private readonly spec: WindowOperatorSpec<T, K, W, R, O>) {
    this.eventTime = spec.assigner.eventTime;
    this.allowedLatenessMs = spec.allowedLatenessMs;
    this.repeatsOnlyItsTimer = spec.trigger.constructor === EventTimeTrigger && !spec.assigner.merging;
  }

  open(ctx: OperatorContext, output: OperatorOutput<O>): void {
    if (ctx.keyedState === undefined) throw new Error(`window operator '${ctx.operatorName}' has no keyed state`);
    this.op = ctx;
    this.out = output;
    this.backend = ctx.keyedState;
    refuseForeignWindowState(this.backend, ctx.operatorName, false);
    this.timers = new InternalTimerService('window', this.backend, ctx.processingTime, {
      onEventTime: (timer) => this.onTimer(timer, true),
      onProcessingTime: (timer) => this.onTimer(timer, false),
    });
    this.triggerContext.bind(this.backend, this.timers);
    this.contents = this.spec.contents(this.backend);
    if (this.spec.assigner.merging) this.sessions = new MergingWindowSet(this.backend);
    this.windowContext = firingContext<W>(this.timers, output);
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
    const { assigner } = this.spec;
    const timestamp = this.op.time.timestamp;
    if (assigner.eventTime && timestamp === NO_TIMESTAMP) throw new TypeError(NO_EVENT_TIME);
    this.backend.setCurrentKey(this.spec.keySelector(record));
    const windows = assigner.assignWindows(assigner.eventTime ? timestamp : this.timers.currentProcessingTime());
    const watermark = this.timers.currentWatermark;
    let accepted = false;
    for (let i = 0; i < windows.length; i++) {
      let window = windows[i]!;
      let stateNamespace: Namespace;
      let windowNamespace: Namespace;
      if (this.sessions !== undefined) {
        const merge = this.mergeSession(window as unknown as TimeWindow);
        window = merge.window as unknown as W;
        if (this.isWindowLate(window)) {
          this.sessions.retire(window as unknown as TimeWindow);
          continue;
        }
        // A merged session keeps its contents where the first of its windows had them.
        stateNamespace = merge.stateNamespace;
        windowNamespace = assigner.codec.namespaceOf(window);
      } else {
        if (this.isWindowLate(window)) continue;
        stateNamespace = windowNamespace = assigner.codec.namespaceOf(window);
      }
      accepted = true;
      this.backend.setCurrentNamespace(stateNamespace);
      const opened = this.contents.add(record);
      if (!opened && this.repeatsOnlyItsTimer && maxTimestamp(window) > watermark) {
        // The default trigger would only register the end-of-window timer again: it was set with the first element.
        continue;
      }
      const result = this.spec.trigger.onElement(record, timestamp, window, this.triggerContext.at(windowNamespace));
      this.react(result, window, stateNamespace);
      // A window that already held elements already has its cleanup timer (it is dropped only with the contents).
      if (opened || this.sessions !== undefined) this.registerCleanupTimer(window, windowNamespace);
    }
    if (!accepted && this.isElementLate(timestamp)) this.sideOutputLate(record);
  }

  /** Adds a session window; merges state and trigger timers of the windows it absorbed. */
  private mergeSession(window: TimeWindow): { window: TimeWindow; stateNamespace: Namespace } {
    const merge = this.sessions!.add(window);
    if (merge.merged.length > 0) {
      this.backend.setCurrentNamespace(merge.stateNamespace);
      for (const absorbed of merge.merged) {
        if (absorbed.stateNamespace !== merge.stateNamespace) this.contents.mergeFrom(absorbed.stateNamespace);
      }
      const codec = this.spec.assigner.codec;
      const trigger = this.spec.trigger;
      const mergedNamespaces = merge.merged.map((absorbed) => codec.namespaceOf(absorbed.window as unknown as W));
      const target = merge.window as unknown as W;
      if (trigger.onMerge === undefined) throw new TypeError('the trigger cannot be used with session windows: it has no onMerge');
      // As in Flink: the trigger folds the absorbed windows' state in first, then their timers and state go.
      trigger.onMerge(target, this.triggerContext.merging(codec.namespaceOf(target), mergedNamespaces));
      for (const absorbed of merge.merged) {
        const old = absorbed.window as unknown as W;
        trigger.clear(old, this.triggerContext.at(codec.namespaceOf(old)));
        this.deleteCleanupTimer(old);
      }
    }
    return merge;
  }

  private react(result: TriggerResult, window: W, stateNamespace: Namespace): void {
    if (fires(result)) {
      const contents = this.contents.get();
      if (contents !== undefined) this.emitWindow(window, contents);
    }
    if (purges(result)) {
      this.backend.setCurrentNamespace(stateNamespace);
      this.contents.clear();
    }
  }

  private emitWindow(window: W, contents: R): void {
    this.op.time.timestamp = maxTimestamp(window);
    this.windowContext.window = window;
    this.spec.emit(this.backend.currentKey as K, this.windowContext, contents, this.out);
  }

  private onTimer(timer: Timer, eventTime: boolean): void {
    const { assigner, trigger } = this.spec;
    const window = assigner.codec.windowOf(timer.namespace);
    let stateNamespace: Namespace = timer.namespace;
    if (this.sessions !== undefined) {
      const found = this.sessions.stateNamespaceOf(window as unknown as TimeWindow);
      // A timer of a window that was merged away or already purged.
      if (found === undefined) return;
      stateNamespace = found;
    }
    this.backend.setCurrentNamespace(stateNamespace);
    const context = this.triggerContext.at(timer.namespace);
    const result = eventTime
      ? trigger.onEventTime(timer.timestamp, window, context)
      : trigger.onProcessingTime(timer.timestamp, window, context);
    this.react(result, window, stateNamespace);
    if (assigner.eventTime === eventTime && timer.timestamp === this.cleanupTime(window)) {
      this.backend.setCurrentNamespace(stateNamespace);
      this.contents.clear();
      trigger.clear(window, context);
      this.sessions?.retire(window as unknown as TimeWindow);
    }
  }

  private cleanupTime(window: W): number {
    const end = maxTimestamp(window);
    return this.eventTime ? end + this.allowedLatenessMs : end;
  }

  private registerCleanupTimer(window: W, namespace: Namespace): void {
    const time = this.cleanupTime(window);
    if (time === Number.POSITIVE_INFINITY && !this.spec.assigner.eventTime) return;
    if (this.spec.assigner.eventTime) this.timers.registerEventTimeTimer(namespace, time);
    else this.timers.registerProcessingTimeTimer(namespace, time);
  }

  private deleteCleanupTimer(window: W): void {
    const namespace = this.spec.assigner.codec.namespaceOf(window);
    const time = this.cleanupTime(window);
    if (this.spec.assigner.eventTime) this.timers.deleteEventTimeTimer(namespace, time);
    else this.timers.deleteProcessingTimeTimer(namespace, time);
  }

  private isWindowLate(window: W): boolean {
    return this.eventTime && this.cleanupTime(window) <= this.timers.currentWatermark;
  }

  private isElementLate(timestamp: number): boolean {
    return this.spec.assigner.eventTime && timestamp + this.spec.allowedLatenessMs <= this.timers.currentWatermark;
  }

  private sideOutputLate(record: T): void {
    if (this.spec.lateDataTag !== undefined) this.out.emitSide(this.spec.lateDataTag.id, record);
    else this.lateRecordsDropped++;
  }

  processWatermark(timestamp: number): void {
    this.timers.advanceWatermark(timestamp);
    this.out.emitWatermark(timestamp);
  }

  finish(): void {
    // Input ended: processing-time windows are due now rather than lost with the job.
    this.timers.fireAllProcessingTime();
  }
}

const NO_NAMESPACES: readonly Namespace[] = Object.freeze([]);

/** The trigger's context, re-pointed at the current window for each call (one instance per operator). */
class WindowTriggerContext implements OnMergeContext {
  private backend!: KeyedStateBackend;
  private timers!: InternalTimerService;
  private namespace: Namespace = 0;
  private mergedNamespaces: readonly Namespace[] = NO_NAMESPACES;

  bind(backend: KeyedStateBackend, timers: InternalTimerService): void {
    this.backend = backend;
    this.timers = timers;
  }

  at(namespace: Namespace): this {
    this.namespace = namespace;
    this.mergedNamespaces = NO_NAMESPACES;
    return this;
  }

  merging(namespace: Namespace, merged: readonly Namespace[]): this {
    this.at(namespace);
    this.mergedNamespaces = merged;
    return this;
  }

  get currentWatermark(): number {
    return this.timers.currentWatermark;
  }
  currentProcessingTime(): number {
    return this.timers.currentProcessingTime();
  }
  registerEventTimeTimer(timestamp: number): void {
    this.timers.registerEventTimeTimer(this.namespace, timestamp);
  }
  deleteEventTimeTimer(timestamp: number): void {
    this.timers.deleteEventTimeTimer(this.namespace, timestamp);
  }
  registerProcessingTimeTimer(timestamp: number): void {
    this.timers.registerProcessingTimeTimer(this.namespace, timestamp);
  }
  deleteProcessingTimeTimer(timestamp: number): void {
    this.timers.deleteProcessingTimeTimer(this.namespace, timestamp);
  }

  /** Trigger state lives under the trigger's window namespace; the caller's namespace is restored on each access. */
  getPartitionedState<D extends AnyStateDescriptor>(descriptor: D): StateHandleFor<D> {
    return scopedHandle(this.backend, this.backend.getState(descriptor), () => this.namespace) as StateHandleFor<D>;
  }

  mergePartitionedState<V>(descriptor: ReducingStateDescriptor<V>): void {
    const state = this.backend.getState(descriptor);
    const previous = this.backend.currentNamespace;
    for (const namespace of this.mergedNamespaces) {
      if (namespace === this.namespace) continue;
      this.backend.setCurrentNamespace(namespace);
      const value = state.get();
      state.clear();
      if (value === undefined) continue;
      this.backend.setCurrentNamespace(this.namespace);
      state.add(value);
    }
    this.backend.setCurrentNamespace(previous);
  }
}

/** Wraps a state handle so every call runs under `namespace()` and then restores the backend's namespace. */
function scopedHandle(backend: KeyedStateBackend, handle: object, namespace: () => Namespace): object {
  return new Proxy(handle, {
    get(target, property) {
      const member: unknown = Reflect.get(target, property);
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => {
        const previous = backend.currentNamespace;
        backend.setCurrentNamespace(namespace());
        try {
          return (member as (...a: unknown[]) => unknown).apply(target, args);
        } finally {
          backend.setCurrentNamespace(previous);
        }
      };
    },
  });
}

export const windowOperator = <T, K, W extends Window, R, O>(spec: WindowOperatorSpec<T, K, W, R, O>): OperatorFactory =>
  () => new WindowOperator(spec) as StreamOperator;

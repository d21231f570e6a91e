import type { KeyedStateBackend, Namespace } from './backend.ts';
import type { ProcessingTimeService } from '../operators/operator.ts';
import { MIN_WATERMARK } from '../api/watermark-strategy.ts';
import { cacheKeyOf, storedPartOf, type CacheKey } from './key-codec.ts';
import { MinHeap } from './min-heap.ts';

export interface Timer {
  readonly key: unknown;
  readonly namespace: Namespace;
  readonly timestamp: number;
}

/** What fires when a timer is due; the timer's key is current in the state backend. */
export interface TimerTarget {
  onEventTime(timer: Timer): void;
  onProcessingTime(timer: Timer): void;
}

/** Timers of one time domain: buckets per timestamp (many keys share a window end), the timestamps in a heap. */
class TimerQueue {
  private readonly buckets = new Map<number, Map<CacheKey, Map<Namespace, Timer>>>();
  private readonly times = new MinHeap();

  /** Adds a timer; false when the same (key, namespace, timestamp) is already set. */
  add(identity: CacheKey, timer: Timer): boolean {
    let byKey = this.buckets.get(timer.timestamp);
    if (byKey === undefined) {
      byKey = new Map();
      this.buckets.set(timer.timestamp, byKey);
      this.times.push(timer.timestamp);
    }
    let byNamespace = byKey.get(identity);
    if (byNamespace === undefined) {
      byNamespace = new Map();
      byKey.set(identity, byNamespace);
    } else if (byNamespace.has(timer.namespace)) return false;
    byNamespace.set(timer.namespace, timer);
    return true;
  }

  remove(identity: CacheKey, namespace: Namespace, timestamp: number): boolean {
    const byNamespace = this.buckets.get(timestamp)?.get(identity);
    return byNamespace?.delete(namespace) ?? false;
  }

  get earliest(): number | undefined {
    return this.times.peek();
  }

  /** Removes and returns the timers of the earliest timestamp if it is at or before `time`. */
  pollDue(time: number): Timer[] | undefined {
    const earliest = this.times.peek();
    if (earliest === undefined || earliest > time) return undefined;
    this.times.pop();
    const byKey = this.buckets.get(earliest)!;
    this.buckets.delete(earliest);
    const due: Timer[] = [];
    for (const byNamespace of byKey.values()) for (const timer of byNamespace.values()) due.push(timer);
    return due;
  }
}

/** Raw key parts must be finite: a timer at infinity (a global window's end) is stored as a string, after all numbers. */
function timePart(timestamp: number): string | number {
  return Number.isFinite(timestamp) ? timestamp : timestamp > 0 ? '+inf' : '-inf';
}

/**
 * Event-time and processing-time timers of one keyed operator subtask (Flink's InternalTimerService). Timers are
 * per key, namespace and timestamp, set at most once; each is also written to the state backend's raw table, so that
 * a checkpoint carries it. Event-time timers fire, in timestamp order, when the watermark reaches them.
 */
export class InternalTimerService {
  private readonly eventTime = new TimerQueue();
  private readonly processingTime = new TimerQueue();
  private watermark = MIN_WATERMARK;
  private scheduledFor = Number.POSITIVE_INFINITY;
  private readonly eventTable: string;
  private readonly processingTable: string;

  constructor(
    name: string,
    private readonly backend: KeyedStateBackend,
    private readonly clock: ProcessingTimeService,
    private readonly target: TimerTarget,
  ) {
    this.eventTable = `__timers/${name}/event`;
    this.processingTable = `__timers/${name}/processing`;
  }

  get currentWatermark(): number {
    return this.watermark;
  }

  currentProcessingTime(): number {
    return this.clock.now();
  }

  registerEventTimeTimer(namespace: Namespace, timestamp: number): void {
    this.register(this.eventTime, this.eventTable, namespace, timestamp);
  }

  deleteEventTimeTimer(namespace: Namespace, timestamp: number): void {
    this.unregister(this.eventTime, this.eventTable, namespace, timestamp);
  }

  registerProcessingTimeTimer(namespace: Namespace, timestamp: number): void {
    if (this.register(this.processingTime, this.processingTable, namespace, timestamp)) this.scheduleProcessingTime();
  }

  deleteProcessingTimeTimer(namespace: Namespace, timestamp: number): void {
    this.unregister(this.processingTime, this.processingTable, namespace, timestamp);
  }

  /** Fires every event-time timer at or before `watermark`, earliest first. */
  advanceWatermark(watermark: number): void {
    this.watermark = watermark;
    this.fireDue(this.eventTime, this.eventTable, watermark, (timer) => this.target.onEventTime(timer));
  }

  /** Input ended: every processing-time timer fires now, so no processing-time window is lost with the job. */
  fireAllProcessingTime(): void {
    this.fireDue(this.processingTime, this.processingTable, Number.POSITIVE_INFINITY, (timer) => this.target.onProcessingTime(timer));
  }

  private register(queue: TimerQueue, table: string, namespace: Namespace, timestamp: number): boolean {
    const key = this.backend.currentKey;
    const identity = cacheKeyOf(key);
    if (!queue.add(identity, { key, namespace, timestamp })) return false;
    this.backend.putRaw(table, this.backend.currentKeyGroup, [timePart(timestamp), storedPartOf(identity), namespace], null);
    return true;
  }

  private unregister(queue: TimerQueue, table: string, namespace: Namespace, timestamp: number): void {
    const key = this.backend.currentKey;
    const identity = cacheKeyOf(key);
    if (!queue.remove(identity, namespace, timestamp)) return;
    this.backend.deleteRaw(table, this.backend.currentKeyGroup, [timePart(timestamp), storedPartOf(identity), namespace]);
  }

  private fireDue(queue: TimerQueue, table: string, time: number, fire: (timer: Timer) => void): void {
    for (let due = queue.pollDue(time); due !== undefined; due = queue.pollDue(time)) {
      for (const timer of due) {
        this.backend.setCurrentKey(timer.key);
        this.backend.deleteRaw(table, this.backend.currentKeyGroup, [timePart(timer.timestamp), storedPartOf(cacheKeyOf(timer.key)), timer.namespace]);
        fire(timer);
      }
    }
  }

  private scheduleProcessingTime(): void {
    const earliest = this.processingTime.earliest;
    if (earliest === undefined || earliest >= this.scheduledFor) return;
    this.scheduledFor = earliest;
    this.clock.schedule(earliest, () => {
      this.scheduledFor = Number.POSITIVE_INFINITY;
      this.fireDue(this.processingTime, this.processingTable, this.clock.now(), (timer) => this.target.onProcessingTime(timer));
      this.scheduleProcessingTime();
    });
  }
}


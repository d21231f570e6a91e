import type { KeyedStateBackend, Namespace } from './backend.ts';
import type { ProcessingTimeService } from '../operators/operator.ts';
import { MIN_WATERMARK } from '../api/watermark-strategy.ts';
import { storedPartOf, type CacheKey } from './key-codec.ts';
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

/** A key's timers at one timestamp: usually one window, so the timer itself; a map once there are several. */
type KeyTimers = Timer | Map<Namespace, Timer>;

/**
 * Timers of one time domain: buckets per timestamp (many keys share a window end), the timestamps in a heap.
 * Window operators register the same timer for every element of a window, so the duplicate check is the hot path:
 * the last bucket is remembered and a key's single timer is stored without a map around it.
 */
class TimerQueue {
  private readonly buckets = new Map<number, Map<CacheKey, KeyTimers>>();
  private readonly times = new MinHeap();
  private lastTimestamp = Number.NaN;
  private lastBucket: Map<CacheKey, KeyTimers> | undefined = undefined;

  private bucket(timestamp: number): Map<CacheKey, KeyTimers> | undefined {
    if (timestamp === this.lastTimestamp) return this.lastBucket;
    const bucket = this.buckets.get(timestamp);
    if (bucket !== undefined) {
      this.lastTimestamp = timestamp;
      this.lastBucket = bucket;
    }
    return bucket;
  }

  has(identity: CacheKey, namespace: Namespace, timestamp: number): boolean {
    const timers = this.bucket(timestamp)?.get(identity);
    if (timers === undefined) return false;
    return timers instanceof Map ? timers.has(namespace) : timers.namespace === namespace;
  }

  /** Adds a timer that `has` reported absent. */
  add(identity: CacheKey, timer: Timer): void {
    let byKey = this.bucket(timer.timestamp);
    if (byKey === undefined) {
      byKey = new Map();
      this.buckets.set(timer.timestamp, byKey);
      this.times.push(timer.timestamp);
    }
    const present = byKey.get(identity);
    if (present === undefined) byKey.set(identity, timer);
    else if (present instanceof Map) present.set(timer.namespace, timer);
    else byKey.set(identity, new Map([[present.namespace, present], [timer.namespace, timer]]));
  }

  remove(identity: CacheKey, namespace: Namespace, timestamp: number): boolean {
    const byKey = this.bucket(timestamp);
    const timers = byKey?.get(identity);
    if (timers === undefined) return false;
    if (timers instanceof Map) return timers.delete(namespace);
    if (timers.namespace !== namespace) return false;
    byKey!.delete(identity);
    return true;
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
    if (earliest === this.lastTimestamp) {
      this.lastTimestamp = Number.NaN;
      this.lastBucket = undefined;
    }
    const due: Timer[] = [];
    for (const timers of byKey.values()) {
      if (timers instanceof Map) for (const timer of timers.values()) due.push(timer);
      else due.push(timers);
    }
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
    const identity = this.backend.currentCacheKey;
    if (queue.has(identity, namespace, timestamp)) return false;
    queue.add(identity, { key: this.backend.currentKey, namespace, timestamp });
    this.backend.putRaw(table, this.backend.currentKeyGroup, [timePart(timestamp), storedPartOf(identity), namespace], null);
    return true;
  }

  private unregister(queue: TimerQueue, table: string, namespace: Namespace, timestamp: number): void {
    const identity = this.backend.currentCacheKey;
    if (!queue.remove(identity, namespace, timestamp)) return;
    this.backend.deleteRaw(table, this.backend.currentKeyGroup, [timePart(timestamp), storedPartOf(identity), namespace]);
  }

  private fireDue(queue: TimerQueue, table: string, time: number, fire: (timer: Timer) => void): void {
    for (let due = queue.pollDue(time); due !== undefined; due = queue.pollDue(time)) {
      for (const timer of due) {
        this.backend.setCurrentKey(timer.key);
        this.backend.deleteRaw(table, this.backend.currentKeyGroup, [timePart(timer.timestamp), storedPartOf(this.backend.currentCacheKey), timer.namespace]);
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


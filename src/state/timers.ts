import type { KeyedStateBackend, Namespace } from './backend.ts';
import { MIN_WATERMARK } from '../core/time.ts';
import { cacheKeyOfStoredPart, keyOfCacheKey, storedPartOf, type CacheKey, type StoredKeyPart } from './key-codec.ts';
import { MinHeap } from './min-heap.ts';

/** The wall clock an operator's processing-time timers run on. */
export interface ProcessingTimeService {
  now(): number;
  /** Runs `callback` once the wall clock reaches `timestamp` (ms since the epoch). */
  schedule(timestamp: number, callback: () => void): void;
}

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
type KeyTimers<T extends Timer> = T | Map<Namespace, T>;

/**
 * Timers of one time domain: buckets per timestamp (many keys share a window end), the timestamps in a heap.
 * Window operators register the same timer for every element of a window, so the duplicate check is the hot path:
 * the last bucket is remembered and a key's single timer is stored without a map around it.
 */
class TimerQueue<T extends Timer> {
  private readonly buckets = new Map<number, Map<CacheKey, KeyTimers<T>>>();
  private readonly times = new MinHeap();
  private lastTimestamp = Number.NaN;
  private lastBucket: Map<CacheKey, KeyTimers<T>> | undefined = undefined;

  private bucket(timestamp: number): Map<CacheKey, KeyTimers<T>> | undefined {
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
  add(identity: CacheKey, timer: T): void {
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

  /** Removes a timer; returns it, or undefined when it was not set. */
  remove(identity: CacheKey, namespace: Namespace, timestamp: number): T | undefined {
    const byKey = this.bucket(timestamp);
    const timers = byKey?.get(identity);
    if (timers === undefined) return undefined;
    if (timers instanceof Map) {
      const timer = timers.get(namespace);
      timers.delete(namespace);
      return timer;
    }
    if (timers.namespace !== namespace) return undefined;
    byKey!.delete(identity);
    return timers;
  }

  get earliest(): number | undefined {
    return this.times.peek();
  }

  /** Removes and returns the timers of the earliest timestamp if it is at or before `time`. */
  pollDue(time: number): T[] | undefined {
    const earliest = this.times.peek();
    if (earliest === undefined || earliest > time) return undefined;
    this.times.pop();
    const byKey = this.buckets.get(earliest)!;
    this.buckets.delete(earliest);
    if (earliest === this.lastTimestamp) {
      this.lastTimestamp = Number.NaN;
      this.lastBucket = undefined;
    }
    const due: T[] = [];
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

/** A timer as the service keeps it: with what its LMDB row needs. */
interface StoredTimer extends Timer {
  readonly identity: CacheKey;
  readonly keyGroup: number;
}

/**
 * One time domain: its queue, its raw table, and what changed since the last flush. Timers live in memory; LMDB
 * sees only the difference at each flush (a checkpoint), so a timer set and fired between two flushes costs LMDB
 * nothing (Flink keeps heap timers and snapshots them the same way).
 */
class TimerDomain {
  readonly queue = new TimerQueue<StoredTimer>();
  private readonly added = new Set<StoredTimer>();
  private readonly removed = new Set<StoredTimer>();

  constructor(readonly table: string) {}

  /** Timers already in LMDB (a restored checkpoint's): queued, not written again. */
  load(backend: KeyedStateBackend): void {
    for (let keyGroup = 0; keyGroup < backend.maxParallelism; keyGroup++) {
      for (const { parts } of backend.scanRaw(this.table, keyGroup)) {
        const [time, stored, namespace] = parts as [string | number, StoredKeyPart, string | number];
        const identity = cacheKeyOfStoredPart(stored);
        const timestamp = typeof time === 'number' ? time : time === '+inf' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
        this.queue.add(identity, { key: keyOfCacheKey(identity), namespace, timestamp, identity, keyGroup });
      }
    }
  }

  add(timer: StoredTimer): void {
    this.queue.add(timer.identity, timer);
    this.added.add(timer);
  }

  /** A timer left the queue (fired or deleted): its row goes, if it was ever written. */
  forget(timer: StoredTimer): void {
    if (!this.added.delete(timer)) this.removed.add(timer);
  }

  save(backend: KeyedStateBackend): void {
    for (const timer of this.removed) backend.deleteRaw(this.table, timer.keyGroup, rowParts(timer));
    for (const timer of this.added) backend.putRaw(this.table, timer.keyGroup, rowParts(timer), null);
    this.removed.clear();
    this.added.clear();
  }
}

function rowParts(timer: StoredTimer): (string | number)[] {
  return [timePart(timer.timestamp), storedPartOf(timer.identity), timer.namespace];
}

/**
 * Event-time and processing-time timers of one keyed operator subtask (Flink's InternalTimerService). Timers are
 * per key, namespace and timestamp, set at most once. They are kept in memory and written to the state backend's
 * raw tables at each flush, so that a checkpoint carries them. Event-time timers fire, in timestamp order, when the
 * watermark reaches them.
 */
export class InternalTimerService {
  private readonly eventTime: TimerDomain;
  private readonly processingTime: TimerDomain;
  private watermark = MIN_WATERMARK;
  private scheduledFor = Number.POSITIVE_INFINITY;

  constructor(
    name: string,
    private readonly backend: KeyedStateBackend,
    private readonly clock: ProcessingTimeService,
    private readonly target: TimerTarget,
  ) {
    this.eventTime = new TimerDomain(`__timers/${name}/event`);
    this.processingTime = new TimerDomain(`__timers/${name}/processing`);
    this.eventTime.load(backend);
    this.processingTime.load(backend);
    this.scheduleProcessingTime();
    backend.onFlush(() => {
      this.eventTime.save(backend);
      this.processingTime.save(backend);
    });
  }

  get currentWatermark(): number {
    return this.watermark;
  }

  currentProcessingTime(): number {
    return this.clock.now();
  }

  registerEventTimeTimer(namespace: Namespace, timestamp: number): void {
    this.register(this.eventTime, namespace, timestamp);
  }

  deleteEventTimeTimer(namespace: Namespace, timestamp: number): void {
    this.unregister(this.eventTime, namespace, timestamp);
  }

  registerProcessingTimeTimer(namespace: Namespace, timestamp: number): void {
    if (this.register(this.processingTime, namespace, timestamp)) this.scheduleProcessingTime();
  }

  deleteProcessingTimeTimer(namespace: Namespace, timestamp: number): void {
    this.unregister(this.processingTime, namespace, timestamp);
  }

  /** Fires every event-time timer at or before `watermark`, earliest first. */
  advanceWatermark(watermark: number): void {
    this.watermark = watermark;
    this.fireDue(this.eventTime, watermark, (timer) => this.target.onEventTime(timer));
  }

  /** Input ended: every processing-time timer fires now, so no processing-time window is lost with the job. */
  fireAllProcessingTime(): void {
    this.fireDue(this.processingTime, Number.POSITIVE_INFINITY, (timer) => this.target.onProcessingTime(timer));
  }

  private register(domain: TimerDomain, namespace: Namespace, timestamp: number): boolean {
    const backend = this.backend;
    const identity = backend.currentCacheKey;
    if (domain.queue.has(identity, namespace, timestamp)) return false;
    domain.add({ key: backend.currentKey, namespace, timestamp, identity, keyGroup: backend.currentKeyGroup });
    return true;
  }

  private unregister(domain: TimerDomain, namespace: Namespace, timestamp: number): void {
    const removed = domain.queue.remove(this.backend.currentCacheKey, namespace, timestamp);
    if (removed !== undefined) domain.forget(removed);
  }

  private fireDue(domain: TimerDomain, time: number, fire: (timer: Timer) => void): void {
    for (let due = domain.queue.pollDue(time); due !== undefined; due = domain.queue.pollDue(time)) {
      for (const timer of due) {
        domain.forget(timer);
        this.backend.setCurrentKey(timer.key);
        fire(timer);
      }
    }
  }

  private scheduleProcessingTime(): void {
    const earliest = this.processingTime.queue.earliest;
    if (earliest === undefined || earliest >= this.scheduledFor) return;
    this.scheduledFor = earliest;
    this.clock.schedule(earliest, () => {
      this.scheduledFor = Number.POSITIVE_INFINITY;
      this.fireDue(this.processingTime, this.clock.now(), (timer) => this.target.onProcessingTime(timer));
      this.scheduleProcessingTime();
    });
  }
}

import type { ProcessingTimeService } from '../state/timers.ts';

interface Scheduled {
  readonly at: number;
  readonly callback: () => void;
}

/**
 * Processing-time callbacks in time order, run once a clock reaches them. The subtask's scheduler runs it on the wall
 * clock; the operator harness of weir/testing on a clock the test sets, so that both fire timers the same way.
 */
export class ProcessingTimeQueue {
  /** Sorted by time; operators schedule one callback per distinct timestamp, so this stays short. */
  private readonly queue: Scheduled[] = [];

  schedule(timestamp: number, callback: () => void): void {
    let index = this.queue.length;
    while (index > 0 && this.queue[index - 1]!.at > timestamp) index--;
    this.queue.splice(index, 0, { at: timestamp, callback });
  }

  /** The earliest scheduled time; infinity when nothing is scheduled. */
  get next(): number {
    return this.queue[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  /** Runs every callback due at `now`, including those the callbacks schedule at or before it; true when one ran. */
  runDue(now: number): boolean {
    let ran = false;
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      this.queue.shift()!.callback();
      ran = true;
    }
    return ran;
  }

  clear(): void {
    this.queue.length = 0;
  }
}

/**
 * A subtask's processing-time callbacks. A timer only wakes the subtask; the subtask runs due callbacks between
 * batches, so operator code never runs concurrently with a batch in flight.
 */
export class ProcessingTimeScheduler implements ProcessingTimeService {
  private readonly queue = new ProcessingTimeQueue();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(private readonly wake: () => void) {}

  now(): number {
    return Date.now();
  }

  schedule(timestamp: number, callback: () => void): void {
    this.queue.schedule(timestamp, callback);
    this.arm();
  }

  /** Runs every callback that is due; returns true when at least one ran. */
  runDue(): boolean {
    const ran = this.queue.runDue(this.now());
    // Re-arm even when nothing ran: a timer may fire a little before the clock reaches its time.
    this.arm();
    return ran;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.clear();
  }

  private arm(): void {
    const next = this.queue.next;
    if (next >= this.armedFor && this.timer !== undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = next;
    // Timers at infinity (a global window's end) never come due on the clock.
    if (!Number.isFinite(next)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedFor = Number.POSITIVE_INFINITY;
      this.wake();
    }, Math.max(0, next - this.now()));
  }
}

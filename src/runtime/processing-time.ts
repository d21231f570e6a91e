import type { ProcessingTimeService } from '../state/timers.ts';

interface Scheduled {
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A subtask's processing-time callbacks. A timer only wakes the subtask; the subtask runs due callbacks between
 * batches, so operator code never runs concurrently with a batch in flight.
 */
export class ProcessingTimeScheduler implements ProcessingTimeService {
  /** Sorted by time; operators schedule one callback per distinct timestamp, so this stays short. */
  private readonly queue: Scheduled[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(private readonly wake: () => void) {}

  now(): number {
    return Date.now();
  }

  schedule(timestamp: number, callback: () => void): void {
    let index = this.queue.length;
    while (index > 0 && this.queue[index - 1]!.at > timestamp) index--;
    this.queue.splice(index, 0, { at: timestamp, callback });
    this.arm();
  }

  /** Runs every callback that is due; returns true when at least one ran. */
  runDue(): boolean {
    const now = this.now();
    let ran = false;
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      this.queue.shift()!.callback();
      ran = true;
    }
    // Re-arm even when nothing ran: a timer may fire a little before the clock reaches its time.
    this.arm();
    return ran;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private arm(): void {
    const next = this.queue[0]?.at ?? Number.POSITIVE_INFINITY;
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

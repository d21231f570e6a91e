import type { ProcessingTimeService } from '../state/timers.ts';
import { ProcessingTimeQueue } from '../runtime/processing-time.ts';

/** Processing time that moves only when the test moves it; due callbacks (timers) run then, as a subtask runs them. */
export class ManualProcessingTime implements ProcessingTimeService {
  private readonly queue = new ProcessingTimeQueue();

  constructor(private time: number) {}

  now(): number {
    return this.time;
  }

  schedule(timestamp: number, callback: () => void): void {
    this.queue.schedule(timestamp, callback);
  }

  /** Sets the clock and runs every callback due by then, earliest first; true when one ran. */
  advanceTo(time: number): boolean {
    this.time = time;
    return this.queue.runDue(time);
  }

  clear(): void {
    this.queue.clear();
  }
}

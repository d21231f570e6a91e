import { MAX_WATERMARK, MIN_WATERMARK } from '../core/time.ts';

/** Receives what the valve decides: a new combined watermark, or a change of the subtask's idle status. */
export interface ValveOutput {
  emitWatermark(timestamp: number): void;
  emitIdle(idle: boolean): void;
}

/**
 * Combines the watermarks of a subtask's input channels (Flink's StatusWatermarkValve): the subtask's event time is
 * the minimum over channels that are neither idle nor ended, and only moves forward. When every open channel is idle,
 * the subtask is idle too and says so downstream, so it does not hold back event time there.
 */
export class WatermarkValve {
  private readonly watermarks: number[];
  private readonly idle: boolean[];
  private readonly ended: boolean[];
  private combined = MIN_WATERMARK;
  private subtaskIdle = false;

  constructor(
    channelCount: number,
    private readonly output: ValveOutput,
  ) {
    this.watermarks = new Array<number>(channelCount).fill(MIN_WATERMARK);
    this.idle = new Array<boolean>(channelCount).fill(false);
    this.ended = new Array<boolean>(channelCount).fill(false);
  }

  get currentWatermark(): number {
    return this.combined;
  }

  onWatermark(channel: number, timestamp: number): void {
    // A channel's watermarks only move forward; a record or watermark also ends its idleness.
    if (timestamp > this.watermarks[channel]!) this.watermarks[channel] = timestamp;
    this.idle[channel] = false;
    this.update();
  }

  onIdle(channel: number, idle: boolean): void {
    this.idle[channel] = idle;
    this.update();
  }

  /** A channel that ended holds nothing back. */
  onEnd(channel: number): void {
    this.ended[channel] = true;
    this.watermarks[channel] = MAX_WATERMARK;
    this.update();
  }

  /** Records arrived on a channel: it is active again. */
  onRecords(channel: number): void {
    if (!this.idle[channel]) return;
    this.idle[channel] = false;
    this.update();
  }

  private update(): void {
    let minimum = MAX_WATERMARK;
    let active = 0;
    let open = 0;
    for (let i = 0; i < this.watermarks.length; i++) {
      if (this.ended[i]) continue;
      open++;
      if (this.idle[i]) continue;
      active++;
      if (this.watermarks[i]! < minimum) minimum = this.watermarks[i]!;
    }
    const allIdle = open > 0 && active === 0;
    if (allIdle !== this.subtaskIdle) {
      this.subtaskIdle = allIdle;
      this.output.emitIdle(allIdle);
    }
    if (allIdle) return;
    if (minimum > this.combined) {
      this.combined = minimum;
      this.output.emitWatermark(minimum);
    }
  }
}

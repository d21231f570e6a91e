import { BroadcastChannel } from 'node:worker_threads';
import { MAX_WATERMARK, MIN_WATERMARK, type WatermarkAlignmentSpec } from '../api/watermark-strategy.ts';

interface Published {
  readonly task: string;
  readonly watermark: number;
}

/**
 * One source subtask's part in a watermark alignment group (WatermarkStrategy.withWatermarkAlignment). Subtasks run
 * on several worker threads of one process: each publishes its watermark on a broadcast channel named for the run's
 * attempt and the group, and keeps the latest watermark of every other. No round trip through the coordinator, so
 * what a subtask knows is at most one watermark interval old: the drift bound is that loose.
 */
export class WatermarkAlignment {
  private readonly channel: BroadcastChannel;
  private readonly others = new Map<string, number>();
  private own = MIN_WATERMARK;

  constructor(
    /** Unique to this attempt of this run (its state directory), so that concurrent runs do not hear each other. */
    attempt: string,
    private readonly spec: WatermarkAlignmentSpec,
    private readonly task: string,
  ) {
    this.channel = new BroadcastChannel(`weir-watermark-alignment:${attempt}:${spec.group}`);
    // The channel must not keep a worker thread alive.
    this.channel.unref();
    this.channel.onmessage = (event) => {
      const { task, watermark } = (event as { data: Published }).data;
      if (task !== this.task) this.others.set(task, watermark);
    };
  }

  /** This subtask's current watermark (MAX_WATERMARK when idle or finished: it then holds nobody back). */
  publish(watermark: number): void {
    if (watermark === this.own) return;
    this.own = watermark;
    this.channel.postMessage({ task: this.task, watermark } satisfies Published);
  }

  /** Ahead of the slowest subtask heard from by more than the allowed drift: stop reading for now. */
  get ahead(): boolean {
    let slowest = MAX_WATERMARK;
    for (const watermark of this.others.values()) if (watermark < slowest) slowest = watermark;
    return this.own > slowest + this.spec.maxDriftMs;
  }

  close(): void {
    this.publish(MAX_WATERMARK);
    this.channel.close();
  }
}

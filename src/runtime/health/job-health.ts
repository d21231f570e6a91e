import type { JobObservations, JobSnapshot } from '../observations.ts';
import { RATE_WINDOW_MS } from '../rate-window.ts';
import { END_OF_EVENT_TIME } from '../observation-types.ts';
import {
  backpressureScore,
  checkpointAgeScore,
  checkpointFailuresScore,
  combine,
  deadLettersScore,
  lagTrendScore,
  restartsScore,
  watermarkSkewScore,
  type HealthReport,
} from './health-score.ts';
import { DEFAULT_WATERMARK_SKEW_MS, type HealthSettings } from './health-settings.ts';

/** Checkpoint failures count over this many checkpoint intervals. */
const FAILURE_WINDOW_INTERVALS = 10;
/** Kafka lag is measured after each checkpoint's commit: its trend needs a few checkpoints in its window. */
const LAG_WINDOW_CHECKPOINTS = 3;

interface Sample {
  readonly at: number;
  /** The Kafka sources' total lag; null without one. */
  readonly lag: number | null;
  /** Cumulative over source subtasks (a restarted subtask counts from 0 again). */
  readonly deadLetters: number;
  readonly read: number;
}

/**
 * The job's health score (docs/operations.md, "Health score"), read from its observations: what a snapshot shows now
 * (backpressure over the rate window, checkpoints, watermarks, restarts) and what it samples each second, since
 * observations keep no history of Kafka lag or dead letters.
 */
export class JobHealth {
  private readonly samples: Sample[] = [];

  constructor(
    private readonly observations: JobObservations,
    private readonly clock: () => number = Date.now,
  ) {
    observations.onSample(() => this.sample(observations.snapshot()));
  }

  /** The window Kafka lag's trend and the dead-letter rate are measured over. */
  get windowMs(): number {
    const interval = this.settings.checkpointing?.intervalMs ?? 0;
    return Math.max(RATE_WINDOW_MS, LAG_WINDOW_CHECKPOINTS * interval);
  }

  report(): HealthReport {
    const snapshot = this.observations.snapshot();
    this.sample(snapshot);
    const now = this.clock();
    const { checkpointing, restartBudget, watermarkBoundMs } = this.settings;
    const failureWindowMs = checkpointing === undefined ? undefined : FAILURE_WINDOW_INTERVALS * checkpointing.intervalMs;
    const restartsCounted = this.observations.restartTimes.filter((at) => restartBudget?.windowMs === undefined || at >= now - restartBudget.windowMs).length;
    const windowed = this.windowed();
    const skew = this.skew(snapshot);
    return combine([
      backpressureScore(...this.backpressure(snapshot)),
      checkpointAgeScore(...this.checkpointAge(snapshot, now)),
      checkpointFailuresScore(this.settledCheckpoints(snapshot, now - (failureWindowMs ?? 0)), failureWindowMs),
      restartsScore(restartsCounted, restartBudget, this.observations.lastRestartReason),
      lagTrendScore(windowed.lagGrowthPerSecond, windowed.readPerSecond, this.windowMs),
      watermarkSkewScore(skew.skewMs, watermarkBoundMs, skew.slowest),
      deadLettersScore(windowed.deadLetters, windowed.read, this.windowMs),
    ]);
  }

  private get settings(): HealthSettings {
    return this.observations.settings ?? { checkpointing: undefined, restartBudget: undefined, watermarkBoundMs: DEFAULT_WATERMARK_SKEW_MS };
  }

  private sample(snapshot: JobSnapshot): void {
    const last = this.samples.at(-1);
    if (last !== undefined && snapshot.at <= last.at) return;
    let deadLetters = 0;
    let read = 0;
    for (const operator of snapshot.operators) {
      if (operator.kind !== 'source') continue;
      for (const subtask of operator.subtasks) {
        deadLetters += subtask.deadLetters;
        read += subtask.recordsOut + subtask.deadLetters;
      }
    }
    const lag = snapshot.kafkaLag.length === 0 ? null : snapshot.kafkaLag.reduce((sum, source) => sum + source.lag, 0);
    this.samples.push({ at: snapshot.at, lag, deadLetters, read });
    // Keep the newest sample at or before the window's start, so that the window is covered in full.
    while (this.samples.length > 2 && this.samples[1]!.at <= snapshot.at - this.windowMs) this.samples.shift();
  }

  /** Over the samples kept (the window, and the newest sample before it). */
  private windowed(): { lagGrowthPerSecond: number | null; readPerSecond: number; deadLetters: number; read: number } {
    const inWindow = this.samples;
    let deadLetters = 0;
    let read = 0;
    for (let i = 1; i < inWindow.length; i++) {
      const before = inWindow[i - 1]!;
      const after = inWindow[i]!;
      deadLetters += after.deadLetters >= before.deadLetters ? after.deadLetters - before.deadLetters : after.deadLetters;
      read += after.read >= before.read ? after.read - before.read : after.read;
    }
    const first = inWindow[0];
    const last = inWindow.at(-1);
    const seconds = first === undefined || last === undefined ? 0 : (last.at - first.at) / 1000;
    const lagGrowthPerSecond = last?.lag === null || last === undefined ? null : first?.lag === null || first === undefined || seconds === 0 ? 0 : (last.lag - first.lag) / seconds;
    return { lagGrowthPerSecond, readPerSecond: seconds === 0 ? 0 : read / seconds, deadLetters, read };
  }

  /** The largest share of time any subtask waited for credit over the rate window, and its operator. */
  private backpressure(snapshot: JobSnapshot): [number | null, number, string | undefined] {
    let share: number | null = null;
    let slowest: string | undefined;
    for (const operator of snapshot.operators) {
      for (const subtask of operator.subtasks) {
        const own = subtask.backPressuredTimeMsPerSecond / 1000;
        if (share === null || own > share) [share, slowest] = [own, `${operator.name}[${subtask.subtask}]`];
      }
    }
    return [share, RATE_WINDOW_MS, slowest];
  }

  private checkpointAge(snapshot: JobSnapshot, now: number): [number, HealthSettings['checkpointing'], 'checkpoint' | 'start'] {
    const latest = snapshot.checkpoints.latestCompleted;
    const settings = this.settings.checkpointing;
    if (latest === undefined || latest.durationMs === undefined) return [now - this.observations.startedAt, settings, 'start'];
    return [Math.max(0, now - (latest.triggeredAt + latest.durationMs)), settings, 'checkpoint'];
  }

  private settledCheckpoints(snapshot: JobSnapshot, since: number): { failed: number; completed: number; lastReason: string | undefined } {
    let failed = 0;
    let completed = 0;
    let lastReason: string | undefined;
    for (const row of snapshot.checkpoints.history) {
      if (row.status === 'in_progress' || row.durationMs === undefined || row.triggeredAt + row.durationMs < since) continue;
      if (row.status === 'completed') completed++;
      else {
        failed++;
        lastReason = row.failureReason;
      }
    }
    return { failed, completed, lastReason };
  }

  /** Event time between the furthest and the slowest source subtask with a watermark (finished ones aside). */
  private skew(snapshot: JobSnapshot): { skewMs: number | null; slowest: string | undefined } {
    const marks = snapshot.watermarks.sources.flatMap((source) =>
      source.subtasks.flatMap((subtask) => {
        const idle = subtask.splits.length > 0 && subtask.splits.every((split) => split.idle);
        return subtask.watermark === null || subtask.watermark === END_OF_EVENT_TIME || idle ? [] : [{ name: `${source.name}[${subtask.subtask}]`, watermark: subtask.watermark }];
      }),
    );
    if (marks.length < 2) return { skewMs: null, slowest: undefined };
    const slowest = marks.reduce((a, b) => (b.watermark < a.watermark ? b : a));
    const furthest = marks.reduce((a, b) => (b.watermark > a.watermark ? b : a));
    return { skewMs: furthest.watermark - slowest.watermark, slowest: slowest.name };
  }
}

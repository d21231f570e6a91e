/**
 * The health score's arithmetic (docs/operations.md, "Health score"): pure functions from what the job measured and
 * what its own settings allow to a score of 0-100 per component, with the reason it costs points. The thresholds
 * come from the job's settings where the job has one (checkpoint interval, restart strategy, watermark bounds); the
 * few fixed numbers left are shares of the job's own time or input, and say why they are what they are.
 */

/** The components, in the order the route lists them. */
export const HEALTH_COMPONENTS = ['backpressure', 'checkpoint_age', 'checkpoint_failures', 'restarts', 'lag_trend', 'watermark_skew', 'dead_letters'] as const;

export type HealthComponentName = (typeof HEALTH_COMPONENTS)[number];

/** One component of the score. */
export interface HealthComponent {
  readonly name: HealthComponentName;
  /** 0 (as bad as it gets) to 100 (costs nothing). */
  readonly score: number;
  /** The component's share of the job's score (0 when it does not apply to the job: no checkpoints, no Kafka). */
  readonly weight: number;
  /** Why it costs points, or why it costs none. */
  readonly reason: string;
  /** What was measured (its unit in the reason); null when there is nothing to measure yet. */
  readonly value: number | null;
  /** Where the component starts to cost points, in the value's unit; null when it does not apply. */
  readonly threshold: number | null;
}

/** The answer of `GET /job/health`. */
export interface HealthReport {
  readonly score: number;
  readonly components: readonly HealthComponent[];
}

/** How much each component weighs when it applies: the ones that end in a failed job or lost data weigh most. */
const WEIGHTS: Record<HealthComponentName, number> = {
  backpressure: 20,
  checkpoint_age: 20,
  checkpoint_failures: 15,
  restarts: 20,
  lag_trend: 10,
  watermark_skew: 10,
  dead_letters: 5,
};

/** A component as scored, before the weights are shared out. */
export type Scored = Omit<HealthComponent, 'weight'> & { readonly applies: boolean };

/** 100 at or below `ok`, 0 at or beyond `bad`, a straight line between. */
export function linearScore(value: number, ok: number, bad: number): number {
  if (value <= ok) return 100;
  if (value >= bad || bad <= ok) return 0;
  return Math.round((100 * (bad - value)) / (bad - ok));
}

/**
 * The job's score: 100 less what each component costs, where a component costs its weight (shared out over the
 * components that apply) times the share of its own score it lost. So the score decomposes: the points a component
 * costs are `weight * (100 - score) / 100`, and they add up to 100 less the job's score.
 */
export function combine(components: readonly Scored[]): HealthReport {
  const total = components.reduce((sum, c) => sum + (c.applies ? WEIGHTS[c.name] : 0), 0);
  const weighted = components.map(({ applies, ...component }) => ({
    ...component,
    weight: applies && total > 0 ? Math.round((1000 * WEIGHTS[component.name]) / total) / 1000 : 0,
  }));
  const lost = weighted.reduce((sum, c) => sum + c.weight * (100 - c.score), 0);
  return { score: Math.max(0, Math.round(100 - lost)), components: weighted };
}

const percent = (share: number): string => `${Math.round(share * 100)}%`;
const secondsOf = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * Sustained backpressure: the largest share of time a subtask (a source's, most often) waited for credit over the rate
 * window. A source that waits half its time reads at half the speed it could; one that always waits reads only as
 * fast as the slowest operator downstream lets it. The share is of the job's own time, so no setting scales it: 10% costs nothing (a
 * burst filling the buffers), 80% costs it all.
 */
export function backpressureScore(share: number | null, windowMs: number, slowest: string | undefined): Scored {
  const ok = 0.1;
  if (share === null) return { name: 'backpressure', applies: true, score: 100, reason: 'no subtask is running yet', value: null, threshold: ok };
  const score = linearScore(share, ok, 0.8);
  const reason =
    score === 100
      ? `no subtask was backpressured more than ${percent(share)} of the last ${secondsOf(windowMs)} (costs points from ${percent(ok)})`
      : `${slowest ?? 'a subtask'} was backpressured ${percent(share)} of the last ${secondsOf(windowMs)}: an operator downstream of it is slower than its input`;
  return { name: 'backpressure', applies: true, score, reason, value: share, threshold: ok };
}

/**
 * Checkpoint age: time since the latest completed checkpoint (or since the job started, before its first one). A
 * checkpoint every `intervalMs` that takes up to another interval leaves an age of at most two intervals (plus the
 * minimum pause): beyond that, checkpoints are missed, and a failure would replay more. Five intervals missed cost it all.
 */
export function checkpointAgeScore(ageMs: number, settings: { readonly intervalMs: number; readonly minPauseMs: number } | undefined, since: 'checkpoint' | 'start'): Scored {
  if (settings === undefined) return { name: 'checkpoint_age', applies: false, score: 100, reason: 'checkpointing is off: a failure replays from the start', value: null, threshold: null };
  const ok = 2 * settings.intervalMs + settings.minPauseMs;
  const score = linearScore(ageMs, ok, ok + 5 * settings.intervalMs);
  const what = since === 'checkpoint' ? 'the latest completed checkpoint' : 'the job started and no checkpoint has completed since';
  const reason =
    score === 100
      ? `${secondsOf(ageMs)} since ${what} (checkpoint interval ${secondsOf(settings.intervalMs)}; costs points after ${secondsOf(ok)})`
      : `${secondsOf(ageMs)} since ${what}, more than ${secondsOf(ok)} (twice the checkpoint interval${settings.minPauseMs > 0 ? ' and the minimum pause' : ''}): checkpoints are not completing and a failure would replay all of it`;
  return { name: 'checkpoint_age', applies: true, score, reason, value: ageMs, threshold: ok };
}

/**
 * Checkpoint failures: the share of checkpoints that failed among those settled over the last ten checkpoint
 * intervals (so a failure stops costing once ten intervals of checkpoints have gone by without one). Any failure
 * costs points; half of them failing costs it all (the job then completes one in two and its age doubles).
 */
export function checkpointFailuresScore(
  settled: { readonly failed: number; readonly completed: number; readonly lastReason: string | undefined },
  windowMs: number | undefined,
): Scored {
  if (windowMs === undefined) return { name: 'checkpoint_failures', applies: false, score: 100, reason: 'checkpointing is off', value: null, threshold: null };
  const count = settled.failed + settled.completed;
  if (count === 0) return { name: 'checkpoint_failures', applies: true, score: 100, reason: `no checkpoint settled in the last ${secondsOf(windowMs)}`, value: null, threshold: 0 };
  const share = settled.failed / count;
  const score = linearScore(share, 0, 0.5);
  const reason =
    settled.failed === 0
      ? `all ${count} checkpoints of the last ${secondsOf(windowMs)} (ten checkpoint intervals) completed`
      : `${settled.failed} of ${count} checkpoints of the last ${secondsOf(windowMs)} (ten checkpoint intervals) failed${settled.lastReason === undefined ? '' : `, the last with: ${settled.lastReason}`}`;
  return { name: 'checkpoint_failures', applies: true, score, reason, value: share, threshold: 0 };
}

/** What the restart component compares restarts against, from the job's restart strategy. */
export interface RestartBudget {
  /** Restarts the strategy allows before the job fails for good (in a row, for a backoff that resets). */
  readonly attempts: number;
  /** Restarts older than this no longer count (the backoff's reset); undefined: the whole run counts. */
  readonly windowMs: number | undefined;
}

/**
 * Restart rate: restarts within the strategy's own window against the attempts it allows. Each restart uses up a
 * share of the budget; a job that used it all fails for good at its next failure. No restart strategy: the component
 * does not apply (the job's first failure is its last).
 */
export function restartsScore(restarts: number, budget: RestartBudget | undefined, lastReason: string | undefined): Scored {
  if (budget === undefined) return { name: 'restarts', applies: false, score: 100, reason: 'the restart strategy is none: a failure ends the job', value: null, threshold: null };
  const over = budget.windowMs === undefined ? 'since the job started' : `in the last ${secondsOf(budget.windowMs)} (the restart strategy's reset)`;
  const score = linearScore(restarts, 0, budget.attempts);
  const reason =
    restarts === 0
      ? `no restart ${over}; the restart strategy allows ${budget.attempts}`
      : `${restarts} restart${restarts === 1 ? '' : 's'} ${over} of the ${budget.attempts} the restart strategy allows${lastReason === undefined ? '' : `; the last after: ${lastReason}`}`;
  return { name: 'restarts', applies: true, score, reason, value: restarts, threshold: 0 };
}

/**
 * Lag trend: how fast the Kafka sources' total lag grew over the window (records per second), against how fast they
 * read. Lag that grows as fast as the sources read means they fall behind by as much as they keep up with: it costs
 * it all; lag that stays put or shrinks costs nothing, whatever its size (a backlog being worked off is healthy).
 */
export function lagTrendScore(growthPerSecond: number | null, readPerSecond: number, windowMs: number): Scored {
  if (growthPerSecond === null) return { name: 'lag_trend', applies: false, score: 100, reason: 'no Kafka source reports lag', value: null, threshold: null };
  const relative = growthPerSecond <= 0 ? 0 : growthPerSecond / Math.max(growthPerSecond, readPerSecond);
  const score = linearScore(relative, 0, 1);
  const reason =
    growthPerSecond <= 0
      ? `Kafka lag did not grow over the last ${secondsOf(windowMs)} (${growthPerSecond.toFixed(1)} records/s)`
      : `Kafka lag grew ${growthPerSecond.toFixed(1)} records/s over the last ${secondsOf(windowMs)} while the sources read ${readPerSecond.toFixed(1)} records/s: they fall behind`;
  return { name: 'lag_trend', applies: true, score, reason, value: growthPerSecond, threshold: 0 };
}

/**
 * Watermark skew: event time between the furthest and the slowest source subtask (idle and finished ones aside). The
 * job's own bound says how much is normal: the alignment's maximum drift where a source has one, otherwise its
 * out-of-orderness bound; a skew ten times that costs it all, since every window waits for the slowest source and
 * state grows with the gap. A job that declares neither (monotonous timestamps) gets a minute of event time.
 */
export function watermarkSkewScore(skewMs: number | null, boundMs: number, slowest: string | undefined): Scored {
  if (skewMs === null) return { name: 'watermark_skew', applies: true, score: 100, reason: 'fewer than two source subtasks have a watermark', value: null, threshold: boundMs };
  const score = linearScore(skewMs, boundMs, 10 * boundMs);
  const reason =
    score === 100
      ? `source watermarks are ${secondsOf(skewMs)} of event time apart (costs points beyond ${secondsOf(boundMs)})`
      : `${slowest ?? 'a source'} holds the watermark ${secondsOf(skewMs)} of event time behind the furthest source, beyond ${secondsOf(boundMs)}: windows wait for it and state grows`;
  return { name: 'watermark_skew', applies: true, score, reason, value: skewMs, threshold: boundMs };
}

/**
 * Dead-letter rate: the share of what sources read over the window that went to their dead letters. The job sets no
 * tolerance, so the share is the job's own input: any dead letter costs points, one record in ten costs it all (the
 * input is broken rather than a few records bad).
 */
export function deadLettersScore(deadLetters: number, read: number, windowMs: number): Scored {
  const share = deadLetters === 0 ? 0 : deadLetters / Math.max(deadLetters, read);
  const score = linearScore(share, 0, 0.1);
  const reason =
    deadLetters === 0
      ? `no record went to the dead letters in the last ${secondsOf(windowMs)}`
      : `${deadLetters} of ${read} records read in the last ${secondsOf(windowMs)} went to the dead letters (${percent(share)})`;
  return { name: 'dead_letters', applies: true, score, reason, value: share, threshold: 0 };
}

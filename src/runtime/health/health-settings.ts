import type { StreamExecutionEnvironment } from '../../api/environment.ts';
import type { RestartStrategyConfig } from '../../api/restart-strategy.ts';
import type { RestartBudget } from './health-score.ts';

/**
 * A minute of event time: the watermark skew a job tolerates when it declares no bound of its own (monotonous
 * timestamps, no alignment). About the width of the windows jobs commonly aggregate over.
 */
export const DEFAULT_WATERMARK_SKEW_MS = 60_000;

/** The job's own settings the health score measures against (src/runtime/health/health-score.ts). */
export interface HealthSettings {
  readonly checkpointing: { readonly intervalMs: number; readonly minPauseMs: number } | undefined;
  readonly restartBudget: RestartBudget | undefined;
  /** The event-time skew between sources the job declares normal. */
  readonly watermarkBoundMs: number;
}

/** What the health score compares against, read from the job's environment and the restart strategy it runs with. */
export function healthSettingsOf(env: StreamExecutionEnvironment, restartStrategy: RestartStrategyConfig): HealthSettings {
  const checkpointing = env.checkpointing === undefined || !Number.isFinite(env.checkpointing.intervalMs) ? undefined : { intervalMs: env.checkpointing.intervalMs, minPauseMs: env.checkpointing.minPauseMs };
  const strategies = env.graph.nodes.flatMap((node) => (node.kind === 'source' && node.watermarkStrategy !== undefined ? [node.watermarkStrategy] : []));
  const drifts = strategies.flatMap((strategy) => (strategy.alignment === undefined ? [] : [strategy.alignment.maxDriftMs]));
  const outOfOrderness = strategies.flatMap((strategy) => (strategy.maxOutOfOrdernessMs === undefined || strategy.maxOutOfOrdernessMs === 0 ? [] : [strategy.maxOutOfOrdernessMs]));
  // Alignment is the job saying how far apart its sources may be; out-of-orderness, how late a record may be.
  const watermarkBoundMs = drifts.length > 0 ? Math.max(...drifts) : outOfOrderness.length > 0 ? Math.max(...outOfOrderness) : DEFAULT_WATERMARK_SKEW_MS;
  return { checkpointing, restartBudget: restartBudgetOf(restartStrategy), watermarkBoundMs };
}

/**
 * The restarts a strategy allows before the job fails for good, and over what time they count. A fixed delay counts
 * its attempts over the whole run; a backoff counts them in a row, forgotten after a run of `resetAfterMs` without
 * failure; a backoff without a bound is allowed as many restarts as it takes its delay to reach its maximum (beyond
 * that, the job spends most of its time waiting to restart).
 */
export function restartBudgetOf(config: RestartStrategyConfig): RestartBudget | undefined {
  switch (config.kind) {
    case 'none':
      return undefined;
    case 'fixed-delay':
      return { attempts: Math.max(1, config.attempts), windowMs: undefined };
    case 'exponential-backoff': {
      const multiplier = config.multiplier ?? 2;
      // The delays go initial, initial * multiplier, ... up to the maximum (less a rounding error: 8 / 1 at 2 is 3 steps).
      const steps = config.initialDelayMs > 0 && multiplier > 1 && config.maxDelayMs > config.initialDelayMs ? Math.ceil(Math.log(config.maxDelayMs / config.initialDelayMs) / Math.log(multiplier) - 1e-9) + 1 : 1;
      return { attempts: Math.max(1, config.attempts ?? steps), windowMs: config.resetAfterMs };
    }
  }
}

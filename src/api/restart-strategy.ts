/**
 * What to do when a job attempt fails (docs/architecture.md, decision 9; Flink's restart strategies): give up, or restart every
 * subtask from the last completed checkpoint after a delay. Pure: the coordinator asks with the failure time.
 */
export type RestartStrategyConfig =
  | { readonly kind: 'none' }
  | { readonly kind: 'fixed-delay'; readonly attempts: number; readonly delayMs: number }
  | {
      readonly kind: 'exponential-backoff';
      readonly initialDelayMs: number;
      readonly maxDelayMs: number;
      /** Factor between consecutive delays (Flink's default 2). */
      readonly multiplier?: number;
      /** A run this long without failure starts the backoff over (Flink's reset-backoff-threshold). */
      readonly resetAfterMs?: number;
      /** Give up after this many restarts in a row; leave out for no bound. */
      readonly attempts?: number;
    };

export type RestartDecision = { readonly restart: true; readonly delayMs: number } | { readonly restart: false; readonly reason: string };

export class RestartStrategy {
  private restarts = 0;
  private delayMs = 0;
  private lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly config: RestartStrategyConfig) {
    const numbers = Object.entries(config).filter(([name]) => name !== 'kind') as [string, number][];
    for (const [name, value] of numbers) {
      if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`restart strategy ${name} must be a non-negative number, got ${value}`);
    }
    if (config.kind === 'exponential-backoff' && (config.multiplier ?? 2) < 1) throw new RangeError('backoff multiplier must be at least 1');
  }

  /** Called once per failed attempt, in order. */
  onFailure(now: number): RestartDecision {
    const config = this.config;
    switch (config.kind) {
      case 'none':
        return { restart: false, reason: 'the restart strategy is none' };
      case 'fixed-delay':
        if (this.restarts >= config.attempts) return { restart: false, reason: `gave up after ${this.restarts} restarts` };
        this.restarts++;
        return { restart: true, delayMs: config.delayMs };
      case 'exponential-backoff': {
        if (config.resetAfterMs !== undefined && now - this.lastFailureAt >= config.resetAfterMs + this.delayMs) {
          this.restarts = 0;
          this.delayMs = 0;
        }
        this.lastFailureAt = now;
        if (config.attempts !== undefined && this.restarts >= config.attempts) {
          return { restart: false, reason: `gave up after ${this.restarts} restarts in a row` };
        }
        this.restarts++;
        const multiplier = config.multiplier ?? 2;
        this.delayMs = this.delayMs === 0 ? config.initialDelayMs : Math.min(this.delayMs * multiplier, config.maxDelayMs);
        return { restart: true, delayMs: Math.min(this.delayMs, config.maxDelayMs) };
      }
    }
  }
}

/**
 * Experiment data: exposure events (a user saw a variant) are interval-joined with outcome events (the user
 * converted within 30 minutes of the exposure), then counted per experiment, variant and 1-minute window.
 *
 *   npx weir run examples/experiment-metrics.ts --parallelism 2
 */
import { CollectSink, ConsoleSink, defineJob, GeneratorSource, Time, TumblingEventTimeWindows, WatermarkStrategy, type Collector } from 'weir';

export interface Exposure {
  readonly userId: number;
  readonly experiment: string;
  readonly variant: 'A' | 'B';
  readonly ts: number;
}

export interface Outcome {
  readonly userId: number;
  readonly experiment: string;
  readonly ts: number;
}

export interface VariantMetrics {
  readonly experiment: string;
  readonly variant: string;
  readonly windowStart: string;
  readonly conversions: number;
}

export interface ExperimentParams {
  readonly exposures?: number;
  readonly collect?: boolean;
}

const EXPERIMENTS = ['checkout-button', 'ranking-v2', 'onboarding-tips'];
const START = Date.UTC(2026, 0, 1);
/** One exposure every 100 ms of event time; users are ids, each exposed once. */
const EXPOSURE_SPACING_MS = 100;

export default defineJob<ExperimentParams>({ name: 'experiment-metrics' }, (env, params) => {
  const count = params.exposures ?? 50_000;
  const exposures = env.fromSource(
    GeneratorSource.of<Exposure>({
      name: 'exposures',
      count,
      seed: 11,
      generate: (userId, random) => ({
        userId,
        experiment: EXPERIMENTS[userId % EXPERIMENTS.length]!,
        variant: random.next() < 0.5 ? 'A' : 'B',
        ts: START + userId * EXPOSURE_SPACING_MS,
      }),
    }),
    WatermarkStrategy.boundedOutOfOrderness<Exposure>(Time.seconds(5)).withTimestamp((e) => e.ts),
  );
  // About 30% of users convert, up to 45 minutes after their exposure (those after 30 minutes do not count).
  const outcomes = env.fromSource(
    GeneratorSource.of<Outcome>({
      name: 'outcomes',
      count,
      seed: 12,
      generate: (userId, random) => ({
        userId: random.next() < 0.3 ? userId : -1,
        experiment: EXPERIMENTS[userId % EXPERIMENTS.length]!,
        ts: START + userId * EXPOSURE_SPACING_MS + random.int(Time.minutes(45)),
      }),
    }),
    WatermarkStrategy.boundedOutOfOrderness<Outcome>(Time.minutes(45)).withTimestamp((o) => o.ts),
  );

  const metrics = exposures
    .keyBy((e) => `${e.experiment}/${e.userId}`)
    .intervalJoin(outcomes.filter((o) => o.userId >= 0).keyBy((o) => `${o.experiment}/${o.userId}`))
    .between(0, Time.minutes(30))
    .process<Exposure>((exposure, _outcome, _ctx, out) => out.collect(exposure))
    .uid('exposure-outcome-join')
    .keyBy((e) => `${e.experiment}/${e.variant}`)
    .window(TumblingEventTimeWindows.of(Time.minutes(1)))
    .aggregate(
      { createAccumulator: () => 0, add: (_e: Exposure, n: number) => n + 1, getResult: (n: number) => n },
      (key: string, ctx, [conversions], out: Collector<VariantMetrics>) => {
        const [experiment, variant] = key.split('/');
        const window = ctx.window;
        out.collect({ experiment: experiment!, variant: variant!, windowStart: new Date(window.start).toISOString(), conversions: conversions! });
      },
    )
    .uid('conversions-per-variant-minute');

  if (params.collect === true) metrics.sinkTo(new CollectSink<VariantMetrics>('metrics'));
  else metrics.sinkTo(new ConsoleSink<VariantMetrics>({ format: (m) => `${m.windowStart}  ${m.experiment}  ${m.variant}  conversions=${m.conversions}` }));
});

/**
 * Feedback loop for ML models: ratings are joined with the answers they rate (a rating comes within 10 minutes of
 * its answer), and the mean rating per model version is published per 1-minute window of answer time.
 *
 *   npx weir run examples/feedback-scores.ts --parallelism 2
 */
import {
  CollectSink,
  ConsoleSink,
  defineJob,
  GeneratorSource,
  Time,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type TimeWindow,
  type WindowContext,
} from 'weir';

export interface Answer {
  readonly answerId: number;
  readonly modelVersion: string;
  readonly ts: number;
}

export interface Rating {
  readonly answerId: number;
  readonly stars: number;
  readonly ts: number;
}

export interface WindowScore {
  readonly modelVersion: string;
  readonly windowStart: string;
  readonly ratings: number;
  readonly meanStars: number;
}

export interface ScoresParams {
  readonly answers?: number;
  readonly collect?: boolean;
}

const MODEL_VERSIONS = ['answer-model-v1', 'answer-model-v2', 'answer-model-v3', 'answer-model-v4'];
const START = Date.UTC(2026, 0, 1);
const ANSWER_SPACING_MS = 50;

interface Mean {
  count: number;
  sum: number;
}

/** Counts and sums the stars of a window; shared with the Kafka version of this example. */
export const meanStars: AggregateFunction<{ readonly stars: number }, Mean, Mean> = {
  createAccumulator: (): Mean => ({ count: 0, sum: 0 }),
  add: (rated, mean) => ({ count: mean.count + 1, sum: mean.sum + rated.stars }),
  getResult: (mean) => mean,
  merge: (a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum }),
};

/** A window's mean as the score published for it. */
export function toWindowScore(modelVersion: string, ctx: WindowContext<TimeWindow>, [mean]: Mean[], out: Collector<WindowScore>): void {
  out.collect({
    modelVersion,
    windowStart: new Date(ctx.window.start).toISOString(),
    ratings: mean!.count,
    meanStars: Number((mean!.sum / mean!.count).toFixed(4)),
  });
}

export default defineJob<ScoresParams>({ name: 'feedback-scores' }, (env, params) => {
  const count = params.answers ?? 50_000;
  const answers = env.fromSource(
    GeneratorSource.of<Answer>({
      name: 'answers',
      count,
      seed: 21,
      generate: (answerId, random) => ({ answerId, modelVersion: random.pick(MODEL_VERSIONS), ts: START + answerId * ANSWER_SPACING_MS }),
    }),
    WatermarkStrategy.monotonousTimestamps<Answer>().withTimestamp((a) => a.ts),
  );
  const ratings = env.fromSource(
    GeneratorSource.of<Rating>({
      name: 'ratings',
      count,
      seed: 22,
      generate: (answerId, random) => ({
        answerId,
        stars: 1 + random.int(5),
        ts: START + answerId * ANSWER_SPACING_MS + random.int(Time.minutes(10)),
      }),
    }),
    WatermarkStrategy.boundedOutOfOrderness<Rating>(Time.minutes(10)).withTimestamp((r) => r.ts),
  );

  const scores = answers
    .keyBy((a) => a.answerId)
    .intervalJoin(ratings.keyBy((r) => r.answerId))
    .between(0, Time.minutes(10))
    .process<{ modelVersion: string; stars: number; answeredAt: number }>((answer, rating, _ctx, out) =>
      out.collect({ modelVersion: answer.modelVersion, stars: rating.stars, answeredAt: answer.ts }),
    )
    .uid('rating-answer-join')
    .keyBy((rated) => rated.modelVersion)
    .window(TumblingEventTimeWindows.of(Time.minutes(1)))
    .aggregate(meanStars, toWindowScore)
    .uid('mean-rating-per-model-minute');

  if (params.collect === true) scores.sinkTo(new CollectSink<WindowScore>('scores'));
  else scores.sinkTo(new ConsoleSink<WindowScore>({ format: (s) => `${s.windowStart}  ${s.modelVersion}  ratings=${s.ratings}  mean=${s.meanStars.toFixed(4)}` }));
});

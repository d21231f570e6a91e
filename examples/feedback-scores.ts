/**
 * Feedback loop for ML models: ratings are joined with the answers they rate (a rating comes within 10 minutes of
 * its answer), and the mean rating per model version is published per 1-minute window of answer time.
 *
 *   npx weir run examples/feedback-scores.ts --parallelism 2
 *
 * It reads its generator by default. Given `input` (JSON-lines files of answers and ratings, as `FeedbackEvent`s) and
 * `output` (a directory), it reads the files and publishes the scores there exactly-once, with checkpoints: how
 * examples/test/feedback-scores.test.ts proves it under faults with weir/testing.
 */
import {
  CollectSink,
  ConsoleSink,
  defineJob,
  FileSource,
  GeneratorSource,
  Time,
  TransactionalFileSink,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type StreamExecutionEnvironment,
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

/** An answer or a rating, as the JSON-lines input files hold them (one stream, in arrival order). */
export type FeedbackEvent = ({ readonly kind: 'answer' } & Answer) | ({ readonly kind: 'rating' } & Rating);

export interface ScoresParams {
  /** How many answers (and ratings) the generator makes; default 50,000. */
  readonly answers?: number;
  /** Collect the scores (`CollectSink` 'scores', for in-process tests) instead of printing them. */
  readonly collect?: boolean;
  /** JSON-lines files of `FeedbackEvent`s to read instead of the generator. */
  readonly input?: readonly string[];
  /** A directory to publish the scores into, exactly-once (`TransactionalFileSink`); checkpointing goes on. */
  readonly output?: string;
  /** The checkpoint interval with `output`, ms; default 1,000. */
  readonly checkpointMs?: number;
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

/** Answers and ratings from the generator: `count` of each, the same every run. */
function generated(env: StreamExecutionEnvironment, count: number): [DataStream<Answer>, DataStream<Rating>] {
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
  return [answers, ratings];
}

/** Answers and ratings from JSON-lines files of both, split by kind; a rating comes at most 10 minutes late. */
function fromFiles(env: StreamExecutionEnvironment, paths: readonly string[]): [DataStream<Answer>, DataStream<Rating>] {
  const feedback = env
    .fromSource(
      FileSource.jsonLines<FeedbackEvent>({ paths: [...paths] }),
      WatermarkStrategy.boundedOutOfOrderness<FeedbackEvent>(Time.minutes(10)).withTimestamp((event) => event.ts),
      'feedback',
    )
    .uid('feedback-files');
  const answers = feedback.flatMap<Answer>(({ kind, ...answer }, out) => {
    if (kind === 'answer') out.collect(answer as Answer);
  });
  const ratings = feedback.flatMap<Rating>(({ kind, ...rating }, out) => {
    if (kind === 'rating') out.collect(rating as Rating);
  });
  return [answers, ratings];
}

export default defineJob<ScoresParams>({ name: 'feedback-scores' }, (env, params) => {
  if (params.output !== undefined) {
    env.enableCheckpointing({ intervalMs: params.checkpointMs ?? 1_000 }).setRestartStrategy({ kind: 'fixed-delay', attempts: 10, delayMs: 100 });
    // Small batches between subtasks and frequent watermarks: barriers get between the records of even a small
    // input, and windows fire all through a run rather than at its end.
    env.setExchangeOptions({ batchSize: 16 }).setAutoWatermarkInterval(20);
  }
  const [answers, ratings] = params.input === undefined ? generated(env, params.answers ?? 50_000) : fromFiles(env, params.input);

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

  if (params.output !== undefined) scores.sinkTo(new TransactionalFileSink<WindowScore>({ directory: params.output })).uid('scores-to-files');
  else if (params.collect === true) scores.sinkTo(new CollectSink<WindowScore>('scores'));
  else scores.sinkTo(new ConsoleSink<WindowScore>({ format: (s) => `${s.windowStart}  ${s.modelVersion}  ratings=${s.ratings}  mean=${s.meanStars.toFixed(4)}` }));
});

/**
 * Feedback loop for ML models: users rate model answers (1-5 stars). Ratings are keyed by model version, counted and
 * averaged per version; when the (bounded) input ends, the pipeline publishes each version's count and mean rating.
 *
 *   npx weir run examples/feedback-counts.ts --parallelism 2
 */
import { ConsoleSink, CollectSink, defineJob, GeneratorSource, ValueStateDescriptor } from 'weir';

export interface Rating {
  readonly answerId: number;
  readonly modelVersion: string;
  readonly userId: number;
  readonly stars: number;
}

export interface ModelScore {
  readonly modelVersion: string;
  readonly ratings: number;
  readonly meanStars: number;
}

export interface FeedbackParams {
  /** Ratings to generate (default 100,000). */
  readonly ratings?: number;
  /** Collect results for a test instead of printing them. */
  readonly collect?: boolean;
}

const MODEL_VERSIONS = ['answer-model-v1', 'answer-model-v2', 'answer-model-v3', 'answer-model-v4'];
const totals = new ValueStateDescriptor<{ ratings: number; stars: number }>('totals');

export default defineJob<FeedbackParams>({ name: 'feedback-counts' }, (env, params) => {
  const scores = env
    .fromSource(
      GeneratorSource.of<Rating>({
        name: 'ratings',
        count: params.ratings ?? 100_000,
        seed: 42,
        generate: (answerId, random) => {
          const version = random.int(MODEL_VERSIONS.length);
          // Newer versions rate a little better: stars skew upwards with the version number.
          const stars = Math.min(5, 1 + random.int(4) + (random.next() < version / 6 ? 1 : 0));
          return { answerId, modelVersion: MODEL_VERSIONS[version]!, userId: random.int(50_000), stars };
        },
      }),
    )
    .filter((rating) => rating.stars >= 1 && rating.stars <= 5)
    .name('valid-ratings')
    .keyBy((rating) => rating.modelVersion)
    .process<ModelScore>({
      processElement(rating, ctx) {
        const state = ctx.getState(totals);
        const before = state.value() ?? { ratings: 0, stars: 0 };
        state.update({ ratings: before.ratings + 1, stars: before.stars + rating.stars });
      },
      endInput(ctx, out) {
        ctx.applyToAllKeys((modelVersion, keyed) => {
          const { ratings, stars } = keyed.getState(totals).value()!;
          out.collect({ modelVersion, ratings, meanStars: Number((stars / ratings).toFixed(4)) });
        });
      },
    })
    .name('score-per-model')
    .uid('score-per-model');

  if (params.collect === true) scores.sinkTo(new CollectSink<ModelScore>('scores'));
  else scores.sinkTo(new ConsoleSink<ModelScore>({ format: (s) => `${s.modelVersion}  ratings=${s.ratings}  mean=${s.meanStars.toFixed(4)}` }));
});

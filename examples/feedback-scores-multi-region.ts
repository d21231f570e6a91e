/**
 * The Kafka example (feedback-scores-kafka.ts) over two regions, each with its own Kafka cluster. Ratings are read
 * from the logical stream `ratings` on every cluster that holds it; the mean stars per model version per 1-minute
 * window are written exactly-once to the stream `scores` in failover mode: to its first cluster while that one is
 * healthy, to the next from the first checkpoint after it fails, and back once it has been healthy for 30 s.
 * Which clusters there are and where each stream lives is a JSON file that weir watches (docs/multi-region.md): edit
 * it while the job runs to add, remove or reorder clusters, and every subtask applies the change at a checkpoint.
 *
 *   npm run kafka -- start --clusters 2 --topics ratings:4,scores:4 --metadata clusters.json
 *   npx weir run examples/feedback-scores-multi-region.ts --params '{"demoRatings":100000}'
 *   npm run kafka -- outage 0 30    # in another terminal: us-east down for 30 s, the scores go to eu-west meanwhile
 *   npm run kafka -- stop           # after Ctrl-C
 *
 * `clusters` is the metadata file (default `clusters.json` in the working directory). `demoRatings` adds a generator
 * that writes that many ratings into `ratings`, spread over the healthy clusters by key, as users in two regions
 * would, and prints the scores as their windows close. Without it, the job reads whatever is produced into `ratings`.
 */
import { ConsoleSink, defineJob, Time, TumblingEventTimeWindows, WatermarkStrategy } from 'weir';
import { clusterMetadata, MultiClusterKafkaSink, MultiClusterKafkaSource } from 'weir/kafka';
// The same ratings, windowed mean and demo as the single-cluster example: only the connectors differ.
import { demoRatings, MAX_OUT_OF_ORDERNESS_MS, scoreLine, type Rating } from './feedback-scores-kafka.ts';
import { meanStars, toWindowScore, type WindowScore } from './feedback-scores.ts';

export type { Rating, WindowScore };

export interface MultiRegionScoresParams {
  /** Path of the cluster metadata file, with the streams `ratings` and `scores`; default 'clusters.json'. */
  readonly clusters?: string;
  /** Read every cluster up to the end offsets found at start, then finish (for tests and backfills; not with demoRatings). */
  readonly bounded?: boolean;
  /** Also generate this many ratings into `ratings` (4,000 a second), and print the scores. */
  readonly demoRatings?: number;
}

export default defineJob<MultiRegionScoresParams>({ name: 'feedback-scores-multi-region' }, (env, params) => {
  // Every source and sink subtask reads the file and polls it (every second) for changes.
  const clusters = clusterMetadata.file(params.clusters ?? 'clusters.json');
  env.enableCheckpointing({ intervalMs: 2_000 });

  if (params.demoRatings !== undefined) {
    env
      .fromSource(demoRatings(params.demoRatings))
      .uid('demo-ratings')
      .setParallelism(1)
      // multiplex: each checkpoint's ratings spread over every healthy cluster of `ratings` by key.
      .sinkTo(MultiClusterKafkaSink.json<Rating>({ stream: 'ratings', metadata: clusters, mode: 'multiplex', key: (rating) => String(rating.answerId) }))
      .name('demo-ratings-to-kafka')
      .uid('demo-ratings-to-kafka')
      .setParallelism(1);
  }

  const timestamps = WatermarkStrategy.boundedOutOfOrderness<Rating>(MAX_OUT_OF_ORDERNESS_MS).withTimestamp((rating) => rating.ts);
  const scores = env
    .fromSource(
      // Offsets per cluster in each checkpoint. A cluster that stops answering goes idle for watermarks (the other
      // region's ratings keep the windows closing) and is read again from where it stopped once it is back.
      MultiClusterKafkaSource.json<Rating>({ stream: 'ratings', metadata: clusters, groupId: 'feedback-scores', bounded: params.bounded === true }),
      // Live, a partition without ratings for 10 s stops holding event time back (transactional writers, as the
      // demo's, publish in bursts, one per checkpoint). Not in a bounded backfill: a partition whose backlog waits its
      // turn for longer would have its ratings dropped as late.
      params.bounded === true ? timestamps : timestamps.withIdleness(10_000),
      'ratings',
    )
    .uid('ratings-source')
    .keyBy((rating) => rating.modelVersion)
    .window(TumblingEventTimeWindows.of(Time.minutes(1)))
    .aggregate(meanStars, toWindowScore)
    .uid('mean-stars-per-model-minute');

  // Exactly-once on each cluster; every record carries a `weir-id` header, by which a multi-cluster source reading
  // both clusters drops an epoch it already has, should a failover have published it on both.
  scores
    .sinkTo(MultiClusterKafkaSink.json<WindowScore>({ stream: 'scores', metadata: clusters, mode: 'failover', key: (score) => score.modelVersion }))
    .uid('scores');
  if (params.demoRatings !== undefined) scores.sinkTo(new ConsoleSink<WindowScore>({ format: scoreLine })).uid('print-scores');
});

/**
 * Feedback loop for ML models on Kafka, exactly-once: JSON ratings are read from the `feedback` topic, counted and
 * averaged per model version per 1-minute window of event time, and the window scores are written to `model-scores`
 * in Kafka transactions (read_committed consumers see each score once, whatever crashes and restarts happen).
 * Records that are not JSON go to `feedback-dlq` with the reason and their topic, partition and offset.
 *
 *   export KAFKA_BROKERS=$(npm run -s kafka -- start --topics feedback:4,model-scores:4,feedback-dlq:1)
 *   npx weir run examples/feedback-scores-kafka.ts --params '{"demoRatings":100000}'
 *   npm run kafka -- stop    # after Ctrl-C
 *
 * `demoRatings` adds a generator that writes that many ratings into `feedback` from the same job, and prints the
 * window scores as they close. Without it, the job reads whatever is produced into `feedback`.
 * examples/test/feedback-scores-kafka.test.ts proves it exactly-once under faults with weir/testing's kafkaIo, which
 * names the topics, the consumer group and the transactional id prefix of each run.
 */
import { ConsoleSink, DEAD_LETTERS, defineJob, GeneratorSource, Time, TumblingEventTimeWindows, WatermarkStrategy } from 'weir';
import { deadLetterSink, KafkaSink, KafkaSource } from 'weir/kafka';
// The same windowed mean as the in-memory example: only the connectors differ.
import { meanStars, toWindowScore, type WindowScore } from './feedback-scores.ts';

export interface Rating {
  readonly answerId: number;
  readonly modelVersion: string;
  readonly stars: number;
  /** Event time, ms since the epoch. */
  readonly ts: number;
}

export type { WindowScore } from './feedback-scores.ts';

export interface ScoresKafkaParams {
  /** `host:port` list, comma-separated; default KAFKA_BROKERS. */
  readonly brokers?: string;
  /** Default 'feedback'. */
  readonly feedbackTopic?: string;
  /** Default 'model-scores'. */
  readonly scoresTopic?: string;
  /** Default 'feedback-dlq'. */
  readonly deadLetterTopic?: string;
  /** Read up to the end offsets found at start, then finish (for tests and backfills; not with demoRatings). */
  readonly bounded?: boolean;
  /** Also generate this many ratings into the feedback topic (a few thousand a second), and print the scores. */
  readonly demoRatings?: number;
  /** The source's consumer group; default 'feedback-scores'. */
  readonly groupId?: string;
  /** The sinks' transactional ids start with it (`<prefix>-scores-`, `<prefix>-dead-letters-`); default: by job id. */
  readonly transactionalIdPrefix?: string;
  /** The checkpoint interval, ms (each one commits the sinks' transactions); default 2,000. */
  readonly checkpointMs?: number;
}

export const MODEL_VERSIONS = ['answer-model-v1', 'answer-model-v2', 'answer-model-v3', 'answer-model-v4'];
/** Ratings arrive at most this far behind the latest one of their partition. */
export const MAX_OUT_OF_ORDERNESS_MS = 5_000;
const DEMO_START = Date.UTC(2026, 0, 1);
/** Event time between two demo ratings: 3,000 ratings per 1-minute window, so at 4,000 a second more than a window closes each second. */
const DEMO_SPACING_MS = 20;
const DEMO_RATE_PER_SECOND = 4_000;
/** Demo ratings come up to this late, within MAX_OUT_OF_ORDERNESS_MS: none is dropped as late. */
const DEMO_JITTER_MS = 3_000;

/**
 * `count` demo ratings, DEMO_RATE_PER_SECOND a second, DEMO_SPACING_MS of event time apart and up to DEMO_JITTER_MS
 * late (so none is late for MAX_OUT_OF_ORDERNESS_MS); the same ones every run. Also used by the multi-region example.
 */
export function demoRatings(count: number): GeneratorSource<Rating> {
  return GeneratorSource.of<Rating>({
    name: 'demo-ratings',
    count,
    seed: 5,
    ratePerSecond: DEMO_RATE_PER_SECOND,
    generate: (answerId, random) => {
      const version = random.int(MODEL_VERSIONS.length);
      // Newer versions rate a little better.
      const stars = Math.min(5, 1 + random.int(4) + (random.next() < version / 6 ? 1 : 0));
      return { answerId, modelVersion: MODEL_VERSIONS[version]!, stars, ts: DEMO_START + answerId * DEMO_SPACING_MS + random.int(DEMO_JITTER_MS) };
    },
  });
}

/** How the demo prints a score: `2026-01-01T00:00:00.000Z  answer-model-v1  ratings=706  mean=2.4858`. */
export const scoreLine = (s: WindowScore): string => `${s.windowStart}  ${s.modelVersion}  ratings=${s.ratings}  mean=${s.meanStars.toFixed(4)}`;

export default defineJob<ScoresKafkaParams>({ name: 'feedback-scores-kafka' }, (env, params) => {
  const connection = params.brokers === undefined ? {} : { brokers: params.brokers };
  const feedbackTopic = params.feedbackTopic ?? 'feedback';
  const demo = params.demoRatings;
  env.enableCheckpointing({ intervalMs: params.checkpointMs ?? 2_000 });
  const prefix = params.transactionalIdPrefix;
  const transactionalIdPrefix = (sink: string): { transactionalIdPrefix?: string } => (prefix === undefined ? {} : { transactionalIdPrefix: `${prefix}-${sink}` });

  if (demo !== undefined) {
    // One writer, so that each partition gets its ratings in event-time order (within DEMO_JITTER_MS).
    env
      .fromSource(demoRatings(demo))
      .uid('demo-ratings')
      .setParallelism(1)
      .sinkTo(KafkaSink.json<Rating>({ ...connection, topic: feedbackTopic, key: (rating) => String(rating.answerId), exactlyOnce: true }))
      .name('demo-ratings-to-kafka')
      .uid('demo-ratings-to-kafka')
      .setParallelism(1);
  }

  const timestamps = WatermarkStrategy.boundedOutOfOrderness<Rating>(MAX_OUT_OF_ORDERNESS_MS).withTimestamp((rating) => rating.ts);
  // Unbounded, a partition without ratings for 10 s stops holding event time back (longer than a checkpoint interval:
  // transactional producers, as the demo's, publish in bursts, one per checkpoint). A bounded run reads every
  // partition to the end it found at start, so none is idle; there a broker that is away longer than 10 s would let
  // the partitions read first move event time past ratings not yet read, and their windows fire without them.
  const ratings = env
    .fromSource(
      KafkaSource.json<Rating>({ ...connection, topics: feedbackTopic, groupId: params.groupId ?? 'feedback-scores', bounded: params.bounded === true }),
      params.bounded === true ? timestamps : timestamps.withIdleness(10_000),
      'ratings',
    )
    .uid('feedback-source');
  // Records that are not JSON: published with their epoch, as the scores are.
  ratings
    .getSideOutput(DEAD_LETTERS)
    .sinkTo(deadLetterSink({ ...connection, topic: params.deadLetterTopic ?? 'feedback-dlq', exactlyOnce: true, ...transactionalIdPrefix('dead-letters') }))
    .uid('feedback-dead-letters');

  const scores = ratings
    .keyBy((rating) => rating.modelVersion)
    .window(TumblingEventTimeWindows.of(Time.minutes(1)))
    .aggregate(meanStars, toWindowScore)
    .uid('mean-stars-per-model-minute');

  const scoresTopic = params.scoresTopic ?? 'model-scores';
  scores.sinkTo(KafkaSink.json<WindowScore>({ ...connection, topic: scoresTopic, key: (score) => score.modelVersion, exactlyOnce: true, ...transactionalIdPrefix('scores') })).uid('model-scores');
  if (demo !== undefined) {
    scores.sinkTo(new ConsoleSink<WindowScore>({ format: scoreLine })).uid('print-scores');
  }
});

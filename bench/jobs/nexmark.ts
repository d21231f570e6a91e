import { CollectSink, defineJob, WatermarkStrategy } from 'weir';
import { nexmarkSource } from '../nexmark/generator.ts';
import { CountingSink, warmUpMarker } from '../nexmark/marks.ts';
import type { NexmarkEvent } from '../nexmark/model.ts';
import { QUERIES, isQueryName } from '../nexmark/queries.ts';

/** One window's length of event time (10 s, 100,000 events at the default rate). */
const ALIGNMENT_DRIFT_MS = 10_000;

export interface NexmarkParams {
  readonly query: string;
  readonly events: number;
  readonly seed: number;
  /** Events per second of event time (default: the reference generator's 10,000). */
  readonly eventsPerSecond?: number;
  /** For measurement (bench/nexmark.ts): the warm-up event count and the parallelism of the source. */
  readonly measure?: { readonly warmup: number; readonly parallelism: number };
  /** For verification runs: the counting sink hashes every result (bench/nexmark/result-digest.ts). */
  readonly hash?: boolean;
  /** For tests: results go to a CollectSink of this name instead of being counted and dropped. */
  readonly collectAs?: string;
}

/** One Nexmark query (bench/nexmark/queries.ts) over the generator, into a counting sink or a collecting one. */
export default defineJob<NexmarkParams>({ name: 'bench-nexmark' }, (env, params) => {
  const { query, events, seed, eventsPerSecond, measure, hash, collectAs } = params as NexmarkParams; // the bench runner passes every field
  if (!isQueryName(query)) throw new Error(`unknown Nexmark query '${query}'`);
  const source = nexmarkSource({
    events,
    seed,
    ...(eventsPerSecond === undefined ? {} : { config: { eventsPerSecond } }),
    ...(measure === undefined ? {} : { onEvent: warmUpMarker(measure.warmup, measure.parallelism) }),
  });
  // Events come in order of time on each subtask: the watermark follows them with no delay. Aligned, so that one
  // generator subtask cannot run minutes of event time ahead and hold every window open (bench/RESULTS.md, q5 at p2).
  const watermarks = WatermarkStrategy.monotonousTimestamps<NexmarkEvent>()
    .withTimestamp((event) => event.dateTime)
    .withWatermarkAlignment('nexmark', ALIGNMENT_DRIFT_MS);
  const stream = env.fromSource(source, watermarks);
  QUERIES[query](stream, collectAs === undefined ? new CountingSink(hash === true ? query : undefined) : new CollectSink(collectAs));
});

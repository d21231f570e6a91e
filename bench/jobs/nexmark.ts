import { CollectSink, defineJob, WatermarkStrategy } from 'weir';
import { nexmarkSource } from '../nexmark/generator.ts';
import { CountingSink, warmUpMarker } from '../nexmark/marks.ts';
import type { NexmarkEvent } from '../nexmark/model.ts';
import { QUERIES, isQueryName } from '../nexmark/queries.ts';

export interface NexmarkParams {
  readonly query: string;
  readonly events: number;
  readonly seed: number;
  /** Events per second of event time (default: the reference generator's 10,000). */
  readonly eventsPerSecond?: number;
  /** For measurement (bench/nexmark.ts): the warm-up event count and the parallelism of the source. */
  readonly measure?: { readonly warmup: number; readonly parallelism: number };
  /** For tests: results go to a CollectSink of this name instead of being counted and dropped. */
  readonly collectAs?: string;
}

/** One Nexmark query (bench/nexmark/queries.ts) over the generator, into a counting sink or a collecting one. */
export default defineJob<NexmarkParams>({ name: 'bench-nexmark' }, (env, { query, events, seed, eventsPerSecond, measure, collectAs }) => {
  if (!isQueryName(query)) throw new Error(`unknown Nexmark query '${query}'`);
  const source = nexmarkSource({
    events,
    seed,
    ...(eventsPerSecond === undefined ? {} : { config: { eventsPerSecond } }),
    ...(measure === undefined ? {} : { onEvent: warmUpMarker(measure.warmup, measure.parallelism) }),
  });
  // Events come in order of time on each subtask: the watermark follows them with no delay. Not aligned: see
  // bench/RESULTS.md (issue 6) for what alignment did to q5 and to the stateless queries.
  const stream = env.fromSource(source, WatermarkStrategy.monotonousTimestamps<NexmarkEvent>().withTimestamp((event) => event.dateTime));
  QUERIES[query](stream, collectAs === undefined ? new CountingSink() : new CollectSink(collectAs));
});

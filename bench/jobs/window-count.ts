import { defineJob, DiscardingSink, GeneratorSource, TumblingEventTimeWindows, WatermarkStrategy } from 'weir';

export interface BenchParams {
  readonly events: number;
  readonly keys?: number;
  /** Events per second of event time (default 100,000: 20M events span 200 s, twenty 10-second windows). */
  readonly eventsPerSecond?: number;
}

interface Event {
  readonly key: number;
  readonly ts: number;
}

/** generator -> keyBy -> 10-second tumbling event-time window count per key -> discard. */
export default defineJob<BenchParams>({ name: 'bench-window-count' }, (env, params) => {
  const { events, keys = 10_000, eventsPerSecond = 100_000 } = params as BenchParams; // the bench runner passes every field
  const spacing = 1_000 / eventsPerSecond;
  env
    .fromSource(
      GeneratorSource.of<Event>({ count: events, seed: 7, generate: (id, random) => ({ key: random.int(keys), ts: Math.floor(id * spacing) }) }),
      WatermarkStrategy.boundedOutOfOrderness<Event>(1_000).withTimestamp((event) => event.ts),
    )
    .keyBy((event) => event.key)
    .window(TumblingEventTimeWindows.of(10_000))
    .aggregate({ createAccumulator: () => 0, add: (_event: Event, count: number) => count + 1, getResult: (count: number) => count })
    .sinkTo(new DiscardingSink());
});

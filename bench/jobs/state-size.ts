import { defineJob, DiscardingSink, GeneratorSource, ValueStateDescriptor } from 'weir';

export interface BenchParams {
  readonly events: number;
  /** Distinct keys (default: one per event, so every state access after the cache fills is a miss). */
  readonly keys?: number;
  /** Write-back cache bound per keyed subtask. */
  readonly cacheEntries?: number;
}

interface Reading {
  readonly key: number;
  readonly value: number;
}

const lastState = new ValueStateDescriptor<Reading>('last');

/**
 * generator -> keyBy -> ValueState holding the last reading per key -> discard. With far more keys than cache
 * entries, state lives in LMDB: the run shows the miss path's rate and that RSS stays bounded by the cache.
 */
export default defineJob<BenchParams>({ name: 'bench-state-size' }, (env, params) => {
  const { events, keys = events, cacheEntries = 100_000 } = params as BenchParams; // the bench runner passes every field
  env.setStateCacheEntries(cacheEntries);
  env
    .fromSource(GeneratorSource.of<Reading>({ count: events, seed: 7, generate: (id, random) => ({ key: id % keys, value: random.int(1_000_000) }) }))
    .keyBy((reading) => reading.key)
    .process<number>((reading, ctx, out) => {
      const last = ctx.getState(lastState);
      const previous = last.value();
      last.update(reading);
      if (previous !== undefined) out.collect(previous.value);
    })
    .sinkTo(new DiscardingSink());
});

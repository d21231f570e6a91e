import { defineJob, DiscardingSink, GeneratorSource, ValueStateDescriptor } from 'weir';

export interface BenchParams {
  readonly events: number;
  readonly keys?: number;
  /** Checkpoint this often (the `checkpoint` bench); absent, no checkpoints. */
  readonly checkpointIntervalMs?: number;
}

const countState = new ValueStateDescriptor<number>('count');

/** generator -> keyBy -> running count per key -> discard: every record crosses a hash exchange. */
export default defineJob<BenchParams>({ name: 'bench-keyed-count' }, (env, params) => {
  const { events, keys = 10_000, checkpointIntervalMs } = params as BenchParams; // the bench runner passes every field
  if (checkpointIntervalMs !== undefined) env.enableCheckpointing({ intervalMs: checkpointIntervalMs });
  env
    .fromSource(GeneratorSource.of({ count: events, seed: 7, generate: (id, random) => ({ id, key: random.int(keys) }) }))
    .keyBy((event) => event.key)
    .process<{ key: number; count: number }>((event, ctx, out) => {
      const count = ctx.getState(countState);
      const next = (count.value() ?? 0) + 1;
      count.update(next);
      out.collect({ key: event.key, count: next });
    })
    .sinkTo(new DiscardingSink());
});

import { defineJob, DiscardingSink, GeneratorSource } from 'weir';

export interface BenchParams {
  readonly events: number;
}

/** generator -> map -> filter -> discard: all chained, so this measures the per-record cost of a chain. */
export default defineJob<BenchParams>({ name: 'bench-stateless-chain' }, (env, params) => {
  const { events } = params as BenchParams; // the bench runner passes every field
  env
    .fromSource(GeneratorSource.of({ count: events, seed: 7, generate: (id, random) => ({ id, key: random.int(10_000), value: random.int(1_000) }) }))
    .map((event) => ({ id: event.id, key: event.key, value: event.value * 2 }))
    .filter((event) => event.value % 3 !== 1)
    .sinkTo(new DiscardingSink());
});

import { threadId } from 'node:worker_threads';
import { defineJob, GeneratorSource, ConsoleSink } from 'weir';
export default defineJob({ name: 'smoke' }, (env) => {
  env.fromSource(GeneratorSource.of({ count: 20, generate: (i, r) => ({ i, k: `k${r.int(3)}` }) }))
    .keyBy((e) => e.k)
    .reduce((a, b) => ({ i: a.i + b.i, k: a.k }))
    .map((e) => ({ ...e, thread: threadId }))
    .sinkTo(new ConsoleSink());
});

import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CollectSink,
  GeneratorSource,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type ProcessFunction,
  type GlobalWindow,
  type SingleOutputStream,
  type TimeWindow,
  type UndeclaredOutput,
  type WindowContext,
} from 'weir';

// Type tests: `tsc --noEmit` (the first half of `npm test`) checks them, and fails on a `@ts-expect-error` line that
// stops failing. Each case emits a record whose fields are declared by the function, then misspells a field.

interface Rating {
  readonly model: string;
  readonly stars: number;
}

interface Score {
  readonly model: string;
  readonly mean: number;
}

const mean: AggregateFunction<Rating, { n: number; sum: number }, number> = {
  createAccumulator: () => ({ n: 0, sum: 0 }),
  add: (rating, acc) => ({ n: acc.n + 1, sum: acc.sum + rating.stars }),
  getResult: (acc) => acc.sum / acc.n,
};

/** A named window function: its signature gives the output type. */
function toScore(model: string, _ctx: WindowContext<TimeWindow>, [value]: number[], out: Collector<Score>): void {
  out.collect({ model, mean: value! });
}

/** One graph for every case: the cases are built, never run. */
const env = new StreamExecutionEnvironment();

function ratings(): SingleOutputStream<Rating> {
  return env.fromSource(GeneratorSource.of<Rating>({ count: 10, generate: (id) => ({ model: `v${id % 2}`, stars: id % 5 }) }));
}

const windowed = () => ratings().keyBy((rating) => rating.model).window(TumblingEventTimeWindows.of(1_000));

describe('output types inferred from the functions given', () => {
  it('window aggregate, reduce and process with a window function', () => {
    const scores = windowed().aggregate(mean, toScore);
    expectTypeOf(scores).toEqualTypeOf<SingleOutputStream<Score>>();
    // @ts-expect-error a misspelt field of the emitted record
    scores.map((score) => score.meen);

    const inline = windowed().aggregate(mean, (model, ctx, [value], out: Collector<Score & { end: number }>) =>
      out.collect({ model, mean: value!, end: ctx.window.end }),
    );
    expectTypeOf(inline).toEqualTypeOf<SingleOutputStream<Score & { end: number }>>();
    windowed().aggregate(mean, (model, _ctx, [value], out: Collector<Score>) =>
      // @ts-expect-error a misspelt field where it is emitted
      out.collect({ model, meen: value! }),
    );

    const best = windowed().reduce(
      (a, b) => (a.stars >= b.stars ? a : b),
      (model, _ctx, [top], out: Collector<Score>) => out.collect({ model, mean: top!.stars }),
    );
    expectTypeOf(best).toEqualTypeOf<SingleOutputStream<Score>>();
    expectTypeOf(windowed().reduce((a, b) => (a.stars >= b.stars ? a : b))).toEqualTypeOf<SingleOutputStream<Rating>>();

    const counted = windowed().process<{ model: string; count: number }>((model, _ctx, elements, out) =>
      out.collect({ model, count: elements.length }),
    );
    // @ts-expect-error a misspelt field of the emitted record
    counted.map((c) => c.cout);
    expectTypeOf(counted.map((c) => c.count)).toEqualTypeOf<SingleOutputStream<number>>();
  });

  it('an output type nothing declares is UndeclaredOutput, never unknown: emitting into it fails to compile', () => {
    // @ts-expect-error emitting without a declared output type
    const undeclared = windowed().process((model, _ctx, elements, out) => out.collect({ model, count: elements.length }));
    expectTypeOf(undeclared).toEqualTypeOf<SingleOutputStream<UndeclaredOutput>>();
    // @ts-expect-error nor does a typed sink accept it
    undeclared.sinkTo(new CollectSink<{ model: string; count: number }>('counts'));
    // @ts-expect-error keyed process without a declared output type
    ratings().keyBy((r) => r.model).process((rating, _ctx, out) => out.collect({ model: rating.model }));
  });

  it('keyed process, as a function or an object, and the DataStream methods after keyBy', () => {
    const keyed = ratings().keyBy((rating) => rating.model);
    const latest = keyed.process((rating, ctx, out: Collector<Score>) => out.collect({ model: ctx.currentKey, mean: rating.stars }));
    expectTypeOf(latest).toEqualTypeOf<SingleOutputStream<Score>>();
    const withTimers = keyed.process({
      processElement(rating, ctx, out: Collector<Score>) {
        ctx.timerService.registerEventTimeTimer(0);
        out.collect({ model: rating.model, mean: rating.stars });
      },
      onTimer(_ts, ctx, out) {
        // @ts-expect-error a misspelt field in onTimer, whose out is typed from processElement's
        out.collect({ model: ctx.currentKey, meen: 0 });
      },
    });
    expectTypeOf(withTimers).toEqualTypeOf<SingleOutputStream<Score>>();

    const mapped = keyed.map((rating) => ({ model: rating.model, double: rating.stars * 2 }));
    expectTypeOf(mapped).toEqualTypeOf<SingleOutputStream<{ model: string; double: number }>>();
    // @ts-expect-error a misspelt field after keyBy(...).map
    mapped.map((m) => m.dubble);
    expectTypeOf(keyed.filter((r) => r.stars > 2)).toEqualTypeOf<SingleOutputStream<Rating>>();
    expectTypeOf(keyed.flatMap((r) => [r.stars])).toEqualTypeOf<SingleOutputStream<number>>();
    expectTypeOf(keyed.flatMap((r, out: Collector<string>) => out.collect(r.model))).toEqualTypeOf<SingleOutputStream<string>>();
    // @ts-expect-error a flatMap that only collects, without declaring what
    keyed.flatMap((r, out) => out.collect(r.model));
    keyed.map((r) => r.stars).name('stars').uid('stars').setParallelism(2).sinkTo(new CollectSink<number>('stars'));
    // @ts-expect-error the sink's type must match the stream's
    keyed.sinkTo(new CollectSink<Score>('scores'));
    expectTypeOf(keyed.union(ratings()).rebalance()).toEqualTypeOf<DataStream<Rating>>();
    // A plain ProcessFunction after keyBy (Flink's deprecated KeyedStream.process(ProcessFunction)).
    const plain: ProcessFunction<Rating, number> = (rating, _ctx, out) => out.collect(rating.stars);
    expectTypeOf(keyed.process(plain)).toEqualTypeOf<SingleOutputStream<number>>();
    // As in Flink, keyBy adds no operator: name, uid and parallelism belong to the operator after it.
    expectTypeOf(keyed).not.toHaveProperty('name');
    expectTypeOf(keyed).not.toHaveProperty('setParallelism');
  });

  it('windowAll and countWindow', () => {
    const all = ratings()
      .windowAll(TumblingEventTimeWindows.of(1_000))
      .aggregate(mean, (ctx, [value], out: Collector<{ end: number; mean: number }>) => out.collect({ end: ctx.window.end, mean: value! }));
    expectTypeOf(all).toEqualTypeOf<SingleOutputStream<{ end: number; mean: number }>>();
    const counts = ratings()
      .keyBy((r) => r.model)
      .countWindow(3, 1)
      .process((model, ctx: WindowContext<GlobalWindow>, elements, out: Collector<Score>) => out.collect({ model, mean: elements.length }));
    expectTypeOf(counts).toEqualTypeOf<SingleOutputStream<Score>>();
    // @ts-expect-error a misspelt field of a count window's output
    counts.map((s) => s.modle);
  });

  it('window join, interval join and connect/process', () => {
    const left = ratings();
    const right = ratings().map((r) => ({ model: r.model, weight: r.stars }));
    const joined = left
      .join(right)
      .where((l) => l.model)
      .equalTo((r) => r.model)
      .window(TumblingEventTimeWindows.of(1_000))
      .apply((l, r, out: Collector<Score>) => out.collect({ model: l.model, mean: l.stars * r.weight }));
    expectTypeOf(joined).toEqualTypeOf<SingleOutputStream<Score>>();
    // @ts-expect-error a misspelt field of the window join's output
    joined.map((s) => s.meen);

    const interval = left
      .keyBy((l) => l.model)
      .intervalJoin(right.keyBy((r) => r.model))
      .between(-10, 10)
      .process((l, r, ctx, out: Collector<Score & { at: number }>) => out.collect({ model: l.model, mean: r.weight, at: ctx.timestamp }));
    expectTypeOf(interval).toEqualTypeOf<SingleOutputStream<Score & { at: number }>>();
    // @ts-expect-error a misspelt field of the interval join's output
    interval.map((s) => s.a);

    const coProcessed = left
      .connect(right)
      .keyBy(
        (l) => l.model,
        (r) => r.model,
      )
      .process({
        processElement1: (l, _ctx, out: Collector<Score>) => out.collect({ model: l.model, mean: l.stars }),
        processElement2: (r, _ctx, out) => out.collect({ model: r.model, mean: r.weight }),
      });
    expectTypeOf(coProcessed).toEqualTypeOf<SingleOutputStream<Score>>();
    // @ts-expect-error a misspelt field of the co-process function's output
    coProcessed.map((s) => s.modl);
    // @ts-expect-error undeclared output of an interval join
    left.keyBy((l) => l.model).intervalJoin(right.keyBy((r) => r.model)).between(0, 1).process((l, _r, _ctx, out) => out.collect(l));
  });

  it('built the graphs it typed', () => {
    expect(env.graph.nodes.length).toBeGreaterThan(40);
  });
});

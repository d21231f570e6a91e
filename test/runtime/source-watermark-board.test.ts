import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/api/environment.ts';
import { WatermarkStrategy } from '../../src/api/watermark-strategy.ts';
import { GeneratorSource } from '../../src/connectors/generator.ts';
import { CollectSink } from '../../src/connectors/memory.ts';
import { planJob } from '../../src/runtime/planner.ts';
import { SourceWatermarkBoard } from '../../src/runtime/watermark-alignment.ts';

const DRIFT_MS = 1_000;

/** Sources a (2 subtasks) and b (1) in group 'g', c (1) in group 'other', into one sink; board and vertex ids. */
function board(): { board: SourceWatermarkBoard; env: StreamExecutionEnvironment; a: number; b: number; c: number } {
  const env = new StreamExecutionEnvironment();
  const strategy = (group: string) => WatermarkStrategy.monotonousTimestamps<number>().withTimestamp((n) => n).withWatermarkAlignment(group, DRIFT_MS);
  const source = (name: string, parallelism: number, group: string) =>
    env.fromSource(GeneratorSource.of({ count: 10, generate: (n) => n }), strategy(group), name).setParallelism(parallelism);
  source('a', 2, 'g')
    .union(source('b', 1, 'g'), source('c', 1, 'other'))
    .sinkTo(new CollectSink<number>('out'))
    .setParallelism(1);
  const plan = planJob(env, { defaultParallelism: 1 });
  const vertexOf = (name: string) => plan.vertices.find((vertex) => plan.nodes.get(vertex.nodeIds[0]!)!.name === name)!.id;
  return { board: new SourceWatermarkBoard(plan), env, a: vertexOf('a'), b: vertexOf('b'), c: vertexOf('c') };
}

const spec = (group: string) => ({ group, maxDriftMs: DRIFT_MS });

describe('source watermark board', () => {
  it('holds a subtask back only by the slowest of its own group that it heard from', () => {
    const { board: shared, env, a, b, c } = board();
    const a0 = shared.alignmentOf(env, a, 0, spec('g'));
    const a1 = shared.alignmentOf(env, a, 1, spec('g'));
    const b0 = shared.alignmentOf(env, b, 0, spec('g'));
    const c0 = shared.alignmentOf(env, c, 0, spec('other'));

    a0.update(5_000, false);
    expect(a0.ahead, 'nobody else heard from yet').toBe(false);
    a1.update(4_500, false);
    b0.update(3_000, false);
    expect(a0.ahead, '2,000 ahead of b').toBe(true);
    expect(a1.ahead, '1,500 ahead of b').toBe(true);
    expect(b0.ahead).toBe(false);
    c0.update(0, false);
    expect(b0.ahead, 'c is in another group').toBe(false);
    expect(c0.ahead, 'nobody else in its group').toBe(false);

    b0.update(4_000, false);
    expect(a0.ahead, 'exactly the drift ahead is allowed').toBe(false);
    a1.update(3_000, false);
    expect(a0.ahead).toBe(true);
    a1.close();
    expect(a0.ahead, 'a finished subtask holds nobody back').toBe(false);
  });

  it('an idle subtask holds nobody back, yet knows when it is itself ahead', () => {
    const { board: shared, env, a, b } = board();
    const a0 = shared.alignmentOf(env, a, 0, spec('g'));
    const a1 = shared.alignmentOf(env, a, 1, spec('g'));
    const b0 = shared.alignmentOf(env, b, 0, spec('g'));
    a0.update(10_000, false);
    a1.update(10_000, false);
    b0.update(0, true);
    expect(a0.ahead, 'b is idle').toBe(false);
    // a0 went idle while paused: the others go on, but a0 stays paused until they are within the drift.
    b0.update(0, false);
    a0.update(10_000, true);
    expect(b0.ahead).toBe(false);
    expect(a0.ahead).toBe(true);
    b0.update(9_500, false);
    expect(a0.ahead).toBe(false);
  });
});

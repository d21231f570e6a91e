import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/api/environment.ts';
import { OutputTag } from '../../src/core/output-tag.ts';
import { CollectSink } from '../../src/connectors/memory.ts';
import { planJob, plannedNode, type PhysicalPlan } from '../../src/runtime/planner.ts';

/** (upstream node, partitioning) of every edge into the vertex that `nodeId` heads. */
const edgesInto = (plan: PhysicalPlan, nodeId: number): [number, string][] =>
  plan.edges
    .filter((edge) => edge.toVertex === plannedNode(plan, nodeId).vertexId)
    .map((edge) => [edge.fromNode, edge.partitioning.kind]);

describe('planJob with union', () => {
  it('resolves a union into one edge per branch, all feeding the consumer vertex', () => {
    const env = new StreamExecutionEnvironment();
    const a = env.fromElements(1, 2);
    const b = env.fromElements(3);
    const c = env.fromElements(4);
    const merged = a.union(b, c).map((x) => x + 1);
    merged.sinkTo(new CollectSink<number>('out'));
    const plan = planJob(env, { defaultParallelism: 1 });

    const consumer = plannedNode(plan, merged.nodeId);
    expect(consumer.chainedFrom).toBeUndefined();
    expect(plan.vertices[consumer.vertexId]!.nodeIds[0]).toBe(merged.nodeId);
    const edges = plan.edges.filter((edge) => edge.toVertex === consumer.vertexId);
    expect(edges.map((edge) => edge.fromNode)).toEqual([a.nodeId, b.nodeId, c.nodeId]);
    expect(edges.every((edge) => edge.partitioning.kind === 'forward' && edge.inputIndex === 0)).toBe(true);
    // the union node itself is not planned
    expect([...plan.nodes.keys()]).toEqual(env.graph.nodes.filter((node) => node.kind !== 'union').map((node) => node.id));
  });

  it("applies the consumer's keyBy to every branch of the union", () => {
    const env = new StreamExecutionEnvironment();
    const a = env.fromElements({ k: 'x', v: 1 });
    const b = env.fromElements({ k: 'y', v: 2 }).map((r) => ({ ...r, v: r.v * 10 }));
    const reduced = a
      .union(b)
      .keyBy((r) => r.k)
      .reduce((x, y) => ({ k: x.k, v: x.v + y.v }));
    reduced.sinkTo(new CollectSink<{ k: string; v: number }>('out'));
    const plan = planJob(env, { defaultParallelism: 2 });

    const into = plan.edges.filter((edge) => edge.toVertex === plannedNode(plan, reduced.nodeId).vertexId);
    expect(into).toHaveLength(2);
    expect(into.map((edge) => edge.partitioning.kind)).toEqual(['hash', 'hash']);
    // b is the map, which runs at parallelism 2 behind its single-subtask source
    expect(into.map((edge) => edge.fromNode)).toEqual([a.nodeId, b.nodeId]);
  });

  it("keeps a branch's own partitioning when the consumer sets none", () => {
    const env = new StreamExecutionEnvironment();
    const a = env.fromElements(1);
    const b = env.fromElements(2);
    const merged = a.rebalance().union(b).map((x) => x);
    merged.sinkTo(new CollectSink<number>('out'));
    expect(edgesInto(planJob(env, { defaultParallelism: 1 }), merged.nodeId)).toEqual([
      [a.nodeId, 'rebalance'],
      [b.nodeId, 'forward'],
    ]);
  });

  it('flattens nested unions', () => {
    const env = new StreamExecutionEnvironment();
    const [a, b, c] = [env.fromElements(1), env.fromElements(2), env.fromElements(3)];
    const merged = a.union(b).union(c).keyBy((x) => x).reduce((x, y) => x + y);
    merged.sinkTo(new CollectSink<number>('out'));
    expect(edgesInto(planJob(env, { defaultParallelism: 1 }), merged.nodeId)).toEqual([
      [a.nodeId, 'hash'],
      [b.nodeId, 'hash'],
      [c.nodeId, 'hash'],
    ]);
  });
});

describe('planJob with side outputs', () => {
  const late = new OutputTag<string>('late');

  function build() {
    const env = new StreamExecutionEnvironment();
    const processed = env.fromElements(1, 2, 3).process<number>((value, ctx, out) => {
      if (value > 2) ctx.output(late, `late ${value}`);
      else out.collect(value);
    });
    processed.sinkTo(new CollectSink<number>('main'));
    const side = processed.getSideOutput(late).map((text) => text.length);
    side.sinkTo(new CollectSink<number>('side'));
    const keyedSide = processed.getSideOutput(late).keyBy((text) => text).reduce((x) => x);
    keyedSide.sinkTo(new CollectSink<string>('keyed-side'));
    return { env, processed, side, keyedSide };
  }

  it('chains a consumer of a side output with sideOutput set, and the main output without it', () => {
    const { env, processed, side } = build();
    const plan = planJob(env, { defaultParallelism: 1 });
    const sideNode = plannedNode(plan, side.nodeId);
    expect(sideNode.vertexId).toBe(plannedNode(plan, processed.nodeId).vertexId);
    expect(sideNode.chainedFrom).toEqual({ nodeId: processed.nodeId, sideOutput: 'late' });
    const mainSink = plan.vertices[sideNode.vertexId]!.nodeIds.find(
      (id) => plannedNode(plan, id).chainedFrom?.nodeId === processed.nodeId && id !== side.nodeId,
    );
    expect(mainSink).toBeDefined();
    expect(plannedNode(plan, mainSink!).chainedFrom).toEqual({ nodeId: processed.nodeId, sideOutput: undefined });
  });

  it('carries the side output on an edge when a side output is keyed', () => {
    const { env, processed, keyedSide } = build();
    const plan = planJob(env, { defaultParallelism: 1 });
    const edge = plan.edges.find((candidate) => candidate.toVertex === plannedNode(plan, keyedSide.nodeId).vertexId);
    expect(edge).toMatchObject({ fromNode: processed.nodeId, sideOutput: 'late', partitioning: { kind: 'hash' } });
  });
});

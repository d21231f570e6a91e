import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/api/environment.ts';
import { CollectSink } from '../../src/connectors/memory.ts';
import { GeneratorSource } from '../../src/connectors/generator.ts';
import { JobDefinitionError } from '../../src/core/errors.ts';
import { planJob, plannedNode, type PhysicalPlan } from '../../src/runtime/planner.ts';

function generator(): GeneratorSource<number> {
  return GeneratorSource.of({ generate: (index) => index, count: 100 });
}

/** The pipeline from the brief: elements -> map -> filter -> keyBy -> reduce -> sink. */
function pipeline(env: StreamExecutionEnvironment) {
  const source = env.fromElements(1, 2, 3, 4);
  const mapped = source.map((x) => x * 2);
  const filtered = mapped.filter((x) => x > 2);
  const reduced = filtered.keyBy((x) => x % 2).reduce((a, b) => a + b);
  reduced.sinkTo(new CollectSink<number>('out'));
  return { source, mapped, filtered, reduced };
}

function vertexOf(plan: PhysicalPlan, nodeId: number) {
  return plan.vertices[plannedNode(plan, nodeId).vertexId]!;
}

describe('planJob chaining', () => {
  it('chains map and filter into the source vertex and starts a new vertex with a hash edge at keyBy', () => {
    const env = new StreamExecutionEnvironment();
    const { source, mapped, filtered, reduced } = pipeline(env);
    const plan = planJob(env, { defaultParallelism: 1 });

    expect(plan.vertices).toHaveLength(2);
    expect(plan.vertices[0]!.nodeIds).toEqual([source.nodeId, mapped.nodeId, filtered.nodeId]);
    expect(plannedNode(plan, mapped.nodeId).chainedFrom).toEqual({ nodeId: source.nodeId, sideOutput: undefined });
    expect(plannedNode(plan, filtered.nodeId).chainedFrom).toEqual({ nodeId: mapped.nodeId, sideOutput: undefined });
    expect(plannedNode(plan, source.nodeId).chainedFrom).toBeUndefined();

    const reduceVertex = vertexOf(plan, reduced.nodeId);
    expect(reduceVertex.nodeIds[0]).toBe(reduced.nodeId);
    expect(reduceVertex.nodeIds).toHaveLength(2); // reduce + its sink, chained
    expect(plan.edges).toHaveLength(1);
    const edge = plan.edges[0]!;
    expect(edge.partitioning.kind).toBe('hash');
    expect(edge).toMatchObject({ fromNode: filtered.nodeId, fromVertex: 0, toVertex: reduceVertex.id, inputIndex: 0 });
  });

  it('puts a rebalance edge between operators of different parallelism', () => {
    const env = new StreamExecutionEnvironment();
    const source = env.fromSource(generator());
    const mapped = source.map((x) => x + 1).setParallelism(2);
    const filtered = mapped.filter((x) => x > 0);
    filtered.sinkTo(new CollectSink<number>('out'));
    const plan = planJob(env, { defaultParallelism: 4 });

    expect(plan.vertices.map((vertex) => vertex.parallelism)).toEqual([4, 2, 4]);
    expect(plan.edges.map((edge) => edge.partitioning.kind)).toEqual(['rebalance', 'rebalance']);
    expect(plan.edges[0]).toMatchObject({ fromNode: source.nodeId, toVertex: plannedNode(plan, mapped.nodeId).vertexId });
    expect(plan.edges[1]).toMatchObject({ fromNode: mapped.nodeId, toVertex: plannedNode(plan, filtered.nodeId).vertexId });
    // the sink has the filter's parallelism, so it chains
    expect(vertexOf(plan, filtered.nodeId).nodeIds).toHaveLength(2);
  });

  it('keeps an explicit rebalance as an edge even when parallelism is equal', () => {
    const env = new StreamExecutionEnvironment();
    env.fromSource(generator()).rebalance().map((x) => x).sinkTo(new CollectSink<number>('out'));
    const plan = planJob(env, { defaultParallelism: 2 });
    expect(plan.vertices).toHaveLength(2);
    expect(plan.edges.map((edge) => edge.partitioning.kind)).toEqual(['rebalance']);
  });

  it('rejects an explicit forward between operators of unequal parallelism', () => {
    const env = new StreamExecutionEnvironment();
    env.fromElements(1, 2).forward().map((x) => x).sinkTo(new CollectSink<number>('out'));
    expect(() => planJob(env, { defaultParallelism: 2 })).toThrow(JobDefinitionError);
    expect(() => planJob(env, { defaultParallelism: 2 })).toThrow(/forward from 'elements' \(parallelism 1\)/);
    // with equal parallelism the same graph is fine and chains
    expect(planJob(env, { defaultParallelism: 1 }).vertices).toHaveLength(1);
  });
});

describe('planJob parallelism', () => {
  it('uses defaultParallelism, which env.setParallelism overrides and operator setParallelism overrides again', () => {
    const build = (envParallelism: number | undefined) => {
      const env = new StreamExecutionEnvironment();
      if (envParallelism !== undefined) env.setParallelism(envParallelism);
      const source = env.fromSource(generator());
      const plain = source.map((x) => x);
      const pinned = plain.map((x) => x).setParallelism(2);
      pinned.sinkTo(new CollectSink<number>('out'));
      const plan = planJob(env, { defaultParallelism: 5 });
      return [source, plain, pinned].map((stream) => plannedNode(plan, stream.nodeId).parallelism);
    };
    expect(build(undefined)).toEqual([5, 5, 2]);
    expect(build(3)).toEqual([3, 3, 2]);
  });

  it('caps fromElements at parallelism 1 and refuses an explicit higher one', () => {
    const env = new StreamExecutionEnvironment();
    const source = env.fromElements('a', 'b');
    const upper = source.map((x) => x.toUpperCase());
    upper.sinkTo(new CollectSink<string>('out'));
    const plan = planJob(env, { defaultParallelism: 8 });
    expect(plannedNode(plan, source.nodeId).parallelism).toBe(1);
    expect(plannedNode(plan, upper.nodeId).parallelism).toBe(8);
    expect(plan.edges[0]!.partitioning.kind).toBe('rebalance');

    source.setParallelism(2);
    expect(() => planJob(env, { defaultParallelism: 8 })).toThrow(JobDefinitionError);
  });

  it('refuses parallelism above the max parallelism', () => {
    const env = new StreamExecutionEnvironment().setMaxParallelism(4);
    env.fromSource(generator()).sinkTo(new CollectSink<number>('out'));
    expect(planJob(env, { defaultParallelism: 4 }).maxParallelism).toBe(4);
    expect(() => planJob(env, { defaultParallelism: 5 })).toThrow(JobDefinitionError);
  });
});

describe('planJob operator ids and fingerprint', () => {
  it('derives operator ids from graph position and name, and uses an explicit uid when given', () => {
    const env = new StreamExecutionEnvironment();
    const source = env.fromElements(1);
    const mapped = source.map((x) => x).name('double it!').uid('doubler');
    const filtered = mapped.filter(() => true).name('keep all');
    filtered.sinkTo(new CollectSink<number>('out'));
    const plan = planJob(env, { defaultParallelism: 1 });
    expect(plannedNode(plan, source.nodeId).operatorId).toBe(`${source.nodeId}-elements`);
    expect(plannedNode(plan, mapped.nodeId).operatorId).toBe('doubler');
    expect(plannedNode(plan, mapped.nodeId).name).toBe('double it!');
    expect(plannedNode(plan, filtered.nodeId).operatorId).toBe(`${filtered.nodeId}-keep_all`);
  });

  it('rejects two operators with the same uid', () => {
    const env = new StreamExecutionEnvironment();
    env.fromElements(1).map((x) => x).uid('same').filter(() => true).uid('same').sinkTo(new CollectSink<number>('out'));
    expect(() => planJob(env, { defaultParallelism: 1 })).toThrow(JobDefinitionError);
    expect(() => planJob(env, { defaultParallelism: 1 })).toThrow(/'same'/);
  });

  it('gives two builds of the same pipeline the same fingerprint, and a different one at another parallelism', () => {
    const build = (configure: (env: StreamExecutionEnvironment) => void = () => {}) => {
      const env = new StreamExecutionEnvironment();
      configure(env);
      pipeline(env);
      return env;
    };
    const first = planJob(build(), { defaultParallelism: 2 }).fingerprint;
    expect(planJob(build(), { defaultParallelism: 2 }).fingerprint).toBe(first);
    expect(planJob(build(), { defaultParallelism: 3 }).fingerprint).not.toBe(first);
    expect(planJob(build((env) => env.setParallelism(3)), { defaultParallelism: 2 }).fingerprint).not.toBe(first);
    expect(planJob(build((env) => env.setExchangeOptions({ batchSize: 7 })), { defaultParallelism: 2 }).fingerprint).not.toBe(first);
    expect(planJob(build((env) => env.setMaxParallelism(64)), { defaultParallelism: 2 }).fingerprint).not.toBe(first);
  });
});

import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/api/environment.ts';
import { CollectSink } from '../../src/connectors/memory.ts';
import { GeneratorSource } from '../../src/connectors/generator.ts';
import { planDeployment, subtasksOfWorker, workerFor } from '../../src/runtime/deployment.ts';
import { planJob, plannedNode } from '../../src/runtime/planner.ts';

function generator(): GeneratorSource<number> {
  return GeneratorSource.of({ generate: (index) => index, count: 10 });
}

/**
 * Two generator sources at parallelism 3, unioned into a map (two forward edges, 3 channels each), keyed into a
 * reduce at parallelism 2 (hash edge, 3 x 2 channels), rebalanced into a sink at parallelism 4 (2 x 4 channels).
 */
function buildPlan() {
  const env = new StreamExecutionEnvironment();
  const a = env.fromSource(generator()).setParallelism(3);
  const b = env.fromSource(generator()).setParallelism(3);
  const merged = a.union(b).map((x) => x + 1).setParallelism(3);
  const reduced = merged.keyBy((x) => x % 5).reduce((x, y) => x + y).setParallelism(2);
  reduced.sinkTo(new CollectSink<number>('out')).setParallelism(4);
  const plan = planJob(env, { defaultParallelism: 1 });
  return { plan, merged, reduced };
}

describe('planDeployment channels', () => {
  it('opens p channels for a forward edge and p_up * p_down for hash and rebalance edges', () => {
    const { plan, merged, reduced } = buildPlan();
    expect(plan.edges.map((edge) => edge.partitioning.kind)).toEqual(['forward', 'forward', 'hash', 'rebalance']);
    const deployment = planDeployment(plan, 8);
    const count = (edgeId: number) => deployment.channels.filter((channel) => channel.edge.id === edgeId).length;
    expect(plan.edges.map((edge) => count(edge.id))).toEqual([3, 3, 3 * 2, 2 * 4]);
    expect(deployment.channels).toHaveLength(3 + 3 + 6 + 8);

    const forward = deployment.channels.filter((channel) => channel.edge.id === 0);
    expect(forward.map((channel) => [channel.from, channel.to])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    const hash = deployment.channels.filter((channel) => channel.edge.partitioning.kind === 'hash');
    expect(new Set(hash.map((channel) => `${channel.from}->${channel.to}`)).size).toBe(6);
    expect(hash.every((channel) => channel.edge.fromNode === merged.nodeId)).toBe(true);
    expect(hash.every((channel) => channel.edge.toVertex === plannedNode(plan, reduced.nodeId).vertexId)).toBe(true);
  });

  it('gives every channel a unique key and consecutive stats slots', () => {
    const { plan } = buildPlan();
    const { channels } = planDeployment(plan, 2);
    expect(channels.map((channel) => channel.slot)).toEqual(channels.map((_, index) => index));
    expect(new Set(channels.map((channel) => channel.key)).size).toBe(channels.length);
    for (const channel of channels) expect(channel.key).toBe(`${channel.edge.id}:${channel.from}:${channel.to}`);
  });

  it('derives the same deployment from the same plan', () => {
    const first = planDeployment(buildPlan().plan, 3);
    const second = planDeployment(buildPlan().plan, 3);
    expect(second.workerCount).toBe(first.workerCount);
    expect(second.channels.map((channel) => [channel.key, channel.slot, channel.fromWorker, channel.toWorker])).toEqual(
      first.channels.map((channel) => [channel.key, channel.slot, channel.fromWorker, channel.toWorker]),
    );
  });
});

describe('planDeployment workers', () => {
  it('uses min(threads, max vertex parallelism) workers, at least one', () => {
    const { plan } = buildPlan(); // max vertex parallelism is 4
    expect(planDeployment(plan, 1).workerCount).toBe(1);
    expect(planDeployment(plan, 3).workerCount).toBe(3);
    expect(planDeployment(plan, 4).workerCount).toBe(4);
    expect(planDeployment(plan, 16).workerCount).toBe(4);
    expect(planDeployment(plan, 0).workerCount).toBe(1);
  });

  it('spreads subtask i to worker i mod W', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((index) => workerFor(index, 3))).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect([0, 1, 2].map((index) => workerFor(index, 1))).toEqual([0, 0, 0]);
    const { plan } = buildPlan();
    const deployment = planDeployment(plan, 3);
    for (const channel of deployment.channels) {
      expect(channel.fromWorker).toBe(channel.from % 3);
      expect(channel.toWorker).toBe(channel.to % 3);
    }
    // forward channels never cross threads: both ends have the same subtask index
    for (const channel of deployment.channels.filter((c) => c.edge.partitioning.kind === 'forward')) {
      expect(channel.fromWorker).toBe(channel.toWorker);
    }
  });

  it('assigns every subtask of every vertex to exactly one worker', () => {
    const { plan } = buildPlan();
    const deployment = planDeployment(plan, 3);
    const assigned = [0, 1, 2].flatMap((worker) =>
      subtasksOfWorker(plan, deployment, worker).map((subtask) => {
        expect(subtask.index % 3).toBe(worker);
        return `${subtask.vertexId}/${subtask.index}`;
      }),
    );
    const expected = plan.vertices.flatMap((vertex) => Array.from({ length: vertex.parallelism }, (_, i) => `${vertex.id}/${i}`));
    expect(assigned.sort()).toEqual(expected.sort());
  });
});

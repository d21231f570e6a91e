import type { PhysicalEdge, PhysicalPlan } from './planner.ts';

/** One subtask of a vertex. */
export interface SubtaskId {
  readonly vertexId: number;
  readonly index: number;
}

/** A channel between one upstream subtask and one downstream subtask of an edge. */
export interface ChannelSpec {
  readonly key: string;
  readonly edge: PhysicalEdge;
  readonly from: number;
  readonly to: number;
  /** Index of this channel's in-flight counters on the stats board. */
  readonly slot: number;
  readonly fromWorker: number;
  readonly toWorker: number;
}

/**
 * Where every subtask runs and which channels connect them. Computed from the plan alone, so the coordinator and
 * every worker derive the same layout without shipping it.
 */
export interface Deployment {
  readonly workerCount: number;
  readonly channels: readonly ChannelSpec[];
}

/** Subtask i of every vertex shares worker i mod W, as Flink's slot sharing does: forward exchanges stay in-thread. */
export function workerFor(subtaskIndex: number, workerCount: number): number {
  return subtaskIndex % workerCount;
}

export function planDeployment(plan: PhysicalPlan, threads: number): Deployment {
  const maxParallelism = Math.max(...plan.vertices.map((vertex) => vertex.parallelism));
  const workerCount = Math.max(1, Math.min(threads, maxParallelism));
  const channels: ChannelSpec[] = [];
  for (const edge of plan.edges) {
    const upstream = plan.vertices[edge.fromVertex]!.parallelism;
    const downstream = plan.vertices[edge.toVertex]!.parallelism;
    for (let from = 0; from < upstream; from++) {
      const targets = edge.partitioning.kind === 'forward' ? [from] : Array.from({ length: downstream }, (_, to) => to);
      for (const to of targets) {
        channels.push({
          key: `${edge.id}:${from}:${to}`,
          edge,
          from,
          to,
          slot: channels.length,
          fromWorker: workerFor(from, workerCount),
          toWorker: workerFor(to, workerCount),
        });
      }
    }
  }
  return { workerCount, channels };
}

export function subtasksOfWorker(plan: PhysicalPlan, deployment: Deployment, worker: number): SubtaskId[] {
  const subtasks: SubtaskId[] = [];
  for (const vertex of plan.vertices) {
    for (let index = 0; index < vertex.parallelism; index++) {
      if (workerFor(index, deployment.workerCount) === worker) subtasks.push({ vertexId: vertex.id, index });
    }
  }
  return subtasks;
}

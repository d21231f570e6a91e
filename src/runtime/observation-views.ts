import type { PhysicalPlan } from './planner.ts';
import type { ReportedStatus } from './job-status.ts';
import { watermarkValue, type GraphObservation, type OperatorObservation, type SubtaskObservation, type VertexObservation, type WatermarkObservation } from './observation-types.ts';

/** The job graph with each vertex's numbers: its head's input, what leaves it on edges, its subtasks' times. */
export function graphOf(plan: PhysicalPlan, operators: readonly OperatorObservation[]): GraphObservation {
  const byNode = new Map<number, OperatorObservation>();
  for (const node of plan.nodes.values()) byNode.set(node.nodeId, operators.find((operator) => operator.operatorId === node.operatorId)!);
  const vertices = plan.vertices.map((vertex): VertexObservation => {
    const members = vertex.nodeIds.map((nodeId) => byNode.get(nodeId)!);
    const head = members[0]!;
    // What leaves the vertex: the main output of each node an edge to another vertex starts from.
    const emitting = [...new Set(plan.edges.filter((edge) => edge.fromVertex === vertex.id && edge.sideOutput === undefined).map((edge) => edge.fromNode))].map(
      (nodeId) => byNode.get(nodeId)!,
    );
    const subtasks = Array.from({ length: vertex.parallelism }, (_, index) => {
      const own = head.subtasks[index]!;
      const out = emitting.map((operator) => operator.subtasks[index]!);
      const last = members.at(-1)!.subtasks[index]!;
      return {
        subtask: index,
        recordsIn: own.recordsIn,
        recordsOut: sum(out, (s) => s.recordsOut),
        recordsInPerSecond: own.recordsInPerSecond,
        recordsOutPerSecond: sum(out, (s) => s.recordsOutPerSecond),
        busyMs: own.busyMs,
        backPressuredMs: own.backPressuredMs,
        idleMs: own.idleMs,
        busyTimeMsPerSecond: own.busyTimeMsPerSecond,
        backPressuredTimeMsPerSecond: own.backPressuredTimeMsPerSecond,
        idleTimeMsPerSecond: own.idleTimeMsPerSecond,
        inputWatermark: own.inputWatermark,
        outputWatermark: last.outputWatermark,
      };
    });
    return {
      id: vertex.id,
      name: members.map((member) => member.name).join(' -> '),
      parallelism: vertex.parallelism,
      operators: members.map((member) => ({ id: member.operatorId, name: member.name, recordsIn: sum(member.subtasks, (s) => s.recordsIn), recordsOut: sum(member.subtasks, (s) => s.recordsOut) })),
      recordsIn: sum(subtasks, (s) => s.recordsIn),
      recordsOut: sum(subtasks, (s) => s.recordsOut),
      recordsInPerSecond: sum(subtasks, (s) => s.recordsInPerSecond),
      recordsOutPerSecond: sum(subtasks, (s) => s.recordsOutPerSecond),
      busyTimeMsPerSecond: Math.max(0, ...subtasks.map((s) => s.busyTimeMsPerSecond)),
      backPressuredTimeMsPerSecond: Math.max(0, ...subtasks.map((s) => s.backPressuredTimeMsPerSecond)),
      idleTimeMsPerSecond: Math.min(...subtasks.map((s) => s.idleTimeMsPerSecond)),
      inputWatermark: slowest(subtasks.map((s) => s.inputWatermark)),
      outputWatermark: slowest(subtasks.map((s) => s.outputWatermark)),
      subtasks,
    };
  });
  const edges = plan.edges.map((edge) => ({
    from: edge.fromVertex,
    to: edge.toVertex,
    partitioning: edge.partitioning.kind,
    ...(edge.sideOutput === undefined ? {} : { sideOutput: edge.sideOutput }),
  }));
  return { vertices, edges };
}

/** Watermarks per operator subtask, and per source split from what source subtasks report. */
export function watermarksOf(operators: readonly OperatorObservation[], splitStatuses: readonly ReportedStatus[]): WatermarkObservation {
  const watermarks = (subtask: SubtaskObservation): { subtask: number; inputWatermark: number | null; outputWatermark: number | null } => ({
    subtask: subtask.subtask,
    inputWatermark: subtask.inputWatermark,
    outputWatermark: subtask.outputWatermark,
  });
  return {
    operators: operators.map((operator) => ({ operatorId: operator.operatorId, name: operator.name, subtasks: operator.subtasks.map(watermarks) })),
    sources: operators
      .filter((operator) => operator.kind === 'source')
      .map((source) => ({
        operatorId: source.operatorId,
        name: source.name,
        watermark: slowest(source.subtasks.map((subtask) => subtask.outputWatermark)),
        subtasks: source.subtasks.map((subtask) => {
          const reported = splitStatuses.find((status) => status.operatorId === source.operatorId && status.subtask === subtask.subtask);
          const splits = Object.entries((reported?.status ?? {}) as Record<string, { watermark: number; idle: boolean }>).map(([split, { watermark, idle }]) => ({
            split,
            // JSON turned the split's -Infinity (no record yet) into null.
            watermark: watermark === null ? null : watermarkValue(watermark),
            idle,
          }));
          return { subtask: subtask.subtask, watermark: subtask.outputWatermark, splits };
        }),
      })),
  };
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

/** The lowest watermark; null when any has none yet (that subtask holds event time back). */
function slowest(watermarks: readonly (number | null)[]): number | null {
  if (watermarks.length === 0 || watermarks.some((watermark) => watermark === null)) return null;
  return Math.min(...(watermarks as number[]));
}

import type { Deployment } from './deployment.ts';
import { workerFor } from './deployment.ts';
import type { PhysicalPlan } from './planner.ts';
import type { StatsBoard } from './stats-board.ts';
import type { Logger } from '../observe/logger.ts';
import type { OperatorStats } from './coordinator.ts';

/** Late records without a side output are dropped as in Flink, but never silently: the metric counts them and this says so. */
export function warnAboutDroppedLateRecords(log: Logger, operators: readonly OperatorStats[]): void {
  const byOperator = new Map<string, number>();
  for (const { operator, lateRecordsDropped } of operators) {
    if (lateRecordsDropped > 0) byOperator.set(operator, (byOperator.get(operator) ?? 0) + lateRecordsDropped);
  }
  for (const [operator, dropped] of byOperator) {
    log.warn({ operator, lateRecordsDropped: dropped }, `operator '${operator}' dropped ${dropped} late records: give it sideOutputLateData() to keep them`);
  }
}

export function operatorStats(plan: PhysicalPlan, deployment: Deployment, stats: StatsBoard, threadIds: readonly number[]): OperatorStats[] {
  const result: OperatorStats[] = [];
  for (const node of plan.nodes.values()) {
    for (let subtask = 0; subtask < node.parallelism; subtask++) {
      const slot = stats.nodeSlot(node.nodeId, subtask);
      result.push({
        operator: node.name,
        operatorId: node.operatorId,
        subtask,
        threadId: threadIds[workerFor(subtask, deployment.workerCount)] ?? -1,
        recordsIn: stats.recordsIn(slot),
        recordsOut: stats.recordsOut(slot),
        lateRecordsDropped: stats.lateRecordsDropped(slot),
      });
    }
  }
  return result;
}

import type { ClustersView } from '../connectors/multi-region/cluster-view.ts';

const HEADER = ['OPERATOR', 'ROLE', 'CLUSTER', 'STATE', 'LAG', 'LAG@CHECKPOINT', 'EPOCHS', 'FAILOVERS', 'PHASE'];

/** `weir clusters`: one line per operator and cluster (state, lag, epochs, phase), then any report it could not read. */
export function clustersTable(view: ClustersView): string[] {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const operator of view.operators) {
    const phase = operator.migration === undefined ? '-' : `${operator.migration.phase} (${operator.migration.from} -> ${operator.migration.to})`;
    for (const cluster of operator.clusters) {
      const reach = cluster.reachable ? 'reachable' : `unreachable (${cluster.unreachableSubtasks}/${cluster.subtasks})`;
      const state = cluster.receiving === undefined ? reach : `${reach}, ${cluster.receiving ? 'receiving' : 'standby'}`;
      const atCheckpoint = cluster.lagAtCheckpoint === undefined ? '-' : `${cluster.lagAtCheckpoint.lagRecords} @ ${cluster.lagAtCheckpoint.checkpointId}`;
      rows.push([
        operator.operator,
        cluster.role,
        cluster.cluster,
        state,
        String(cluster.lagRecords ?? '-'),
        atCheckpoint,
        String(cluster.epochsPublished ?? '-'),
        String(cluster.failovers ?? '-'),
        phase,
      ]);
      if (!cluster.reachable && cluster.lastError !== undefined) notes.push(`${operator.operator} -> ${cluster.cluster}: ${cluster.lastError}`);
    }
    const missing = operator.parallelism - operator.subtasks.length;
    if (missing > 0) notes.push(`${operator.operator}: ${missing} of ${operator.parallelism} subtasks have not reported yet`);
    for (const subtask of operator.subtasks) if (subtask.problem !== undefined) notes.push(`${operator.operator} subtask ${subtask.subtask + 1}: ${subtask.problem}`);
  }
  if (rows.length === 0) return [`job ${view.job ?? '(starting)'}: no multi-cluster source or sink has reported its clusters yet`, ...notes];
  const widths = HEADER.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(HEADER), ...rows.map(line), ...notes];
}

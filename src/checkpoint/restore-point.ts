import { type CheckpointMetadata, type CheckpointStorage, CorruptCheckpointError } from './storage.ts';
import type { JobCheckpointState } from './snapshot-state.ts';
import type { CheckpointedPlan } from './checkpointed-plan.ts';
import { JobDefinitionError } from '../core/errors.ts';

/**
 * The newest completed checkpoint whose metadata and files all pass their checks. A damaged one is skipped, with
 * `warn` told why, in favour of the one before; undefined when none is usable (a fresh start).
 */
export async function latestRestorable(
  storage: CheckpointStorage,
  warn: (checkpointId: number, reason: string) => void,
): Promise<CheckpointMetadata | undefined> {
  for (const checkpointId of await storage.completed()) {
    try {
      return await storage.verify(checkpointId);
    } catch (error) {
      if (!(error instanceof CorruptCheckpointError)) throw error;
      warn(checkpointId, error.message);
    }
  }
  return undefined;
}

/**
 * A checkpoint fits a job when its key groups are the job's and every operator that left state in it is still there
 * (matched by operator id: the uid, or one derived from the graph position). State nobody takes fails the start
 * unless the user allows dropping it (Flink's --allowNonRestoredState).
 */
export function checkRestoreFits(plan: CheckpointedPlan, state: JobCheckpointState, allowNonRestoredState: boolean): void {
  if (state.maxParallelism !== plan.maxParallelism) {
    throw new JobDefinitionError(
      `the checkpoint was taken with max parallelism ${state.maxParallelism} but the job has ${plan.maxParallelism}: key groups cannot move between them`,
    );
  }
  const present = new Set([...plan.nodes.values()].map((node) => node.operatorId));
  const orphaned = Object.entries(state.operators).filter(
    ([operatorId, operator]) =>
      !present.has(operatorId) && operator.subtasks.some((subtask) => subtask.keyed !== undefined || subtask.source !== undefined || subtask.operator !== undefined),
  );
  if (orphaned.length > 0 && !allowNonRestoredState) {
    const names = orphaned.map(([operatorId, operator]) => `'${operator.name}' (id ${operatorId})`).join(', ');
    throw new JobDefinitionError(
      `the checkpoint holds state of ${names}, which this job no longer has: give the operator its old uid, or allow dropping the state (--allow-non-restored-state)`,
    );
  }
}

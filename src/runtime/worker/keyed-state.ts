import { join } from 'node:path';
import type { KeyedStateBackend } from '../../state/backend.ts';
import type { PhysicalPlan, PlannedNode } from '../planner.ts';
import { LmdbKeyedStateBackend } from '../../state/lmdb-backend.ts';

/**
 * Opens the keyed state of one keyed operator subtask: its own LMDB environment under the run's state directory
 * (DESIGN decision 6). A subtask runs in exactly one thread, so each environment is opened once per process.
 */
export function openKeyedState(stateDir: string, plan: PhysicalPlan, planned: PlannedNode, subtask: number): Promise<KeyedStateBackend> {
  return LmdbKeyedStateBackend.open({
    path: join(stateDir, planned.operatorId, String(subtask)),
    maxParallelism: plan.maxParallelism,
    cacheEntries: plan.stateCacheEntries,
  });
}

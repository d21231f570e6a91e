import { join } from 'node:path';
import type { PhysicalPlan, PlannedNode } from '../planner.ts';
import type { RestorePoint } from '../../checkpoint/snapshot-state.ts';
import { LmdbKeyedStateBackend } from '../../state/lmdb-backend.ts';
import { keyedChainsFor, keyGroupRangeOf, storageAt } from '../../checkpoint/snapshot-state.ts';
import { restoreKeyedSnapshot } from '../../checkpoint/keyed-snapshot.ts';

/**
 * Opens the keyed state of one keyed operator subtask: its own LMDB environment under the attempt's state directory
 * (docs/architecture.md, decision 6), with the entries of its key groups restored from the checkpoint the attempt starts from
 * (whatever the parallelism was then: whole key groups move, decision 5). A subtask runs in exactly one thread, so
 * each environment is opened once per process.
 */
export async function openKeyedState(
  stateDir: string,
  plan: PhysicalPlan,
  planned: PlannedNode,
  subtask: number,
  restore: RestorePoint | undefined,
): Promise<LmdbKeyedStateBackend> {
  const backend = await LmdbKeyedStateBackend.open({
    path: join(stateDir, planned.operatorId, String(subtask)),
    maxParallelism: plan.maxParallelism,
    cacheEntries: plan.stateCacheEntries,
  });
  const operator = restore?.state.operators[planned.operatorId];
  if (restore === undefined || operator === undefined) return backend;
  try {
    const range = keyGroupRangeOf(subtask, planned.parallelism, plan.maxParallelism);
    const storage = storageAt(restore.target);
    for (const chain of keyedChainsFor(operator, plan.maxParallelism, range)) await restoreKeyedSnapshot(backend, storage, chain, range);
  } catch (error) {
    await backend.close();
    throw error;
  }
  return backend;
}

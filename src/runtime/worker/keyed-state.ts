import type { KeyedStateBackend } from '../../state/backend.ts';
import type { PhysicalPlan, PlannedNode } from '../planner.ts';
import { HeapKeyedStateBackend } from '../../state/heap-backend.ts';

/** Opens the keyed state of one keyed operator subtask. Interim: in the heap until the LMDB backend lands. */
export async function openKeyedState(_stateDir: string, plan: PhysicalPlan, _planned: PlannedNode, _subtask: number): Promise<KeyedStateBackend> {
  return new HeapKeyedStateBackend(plan.maxParallelism);
}

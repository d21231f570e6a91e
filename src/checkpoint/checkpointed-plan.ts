import type { Barrier } from './snapshot-state.ts';

/** What checkpoints need to know of a job's physical plan (the runtime's PhysicalPlan has it): operators and sizes. */
export interface CheckpointedPlan {
  readonly maxParallelism: number;
  readonly nodes: ReadonlyMap<number, { readonly operatorId: string; readonly name: string; readonly parallelism: number }>;
}

/** The checkpoint messages the coordinator sends every worker (part of the runtime's CoordinatorToWorker). */
export type CheckpointNotice =
  /** Sources emit this barrier; subtasks that already finished snapshot at once. */
  | { readonly type: 'trigger'; readonly barrier: Barrier }
  /** Checkpoint n is complete: it covers every earlier one (best effort: a lost notice is covered by the next). */
  | { readonly type: 'complete'; readonly checkpointId: number }
  | { readonly type: 'abort'; readonly checkpointId: number };

import type { FaultKind, FaultSchedule, ScheduledFault } from './schedule.ts';

/** One fault of a schedule as the run resolved it, and whether it fired. */
export interface ResolvedFault {
  readonly fault: ScheduledFault;
  /** The fault point's name in the runtime (mid-publish is the I/O's own point). */
  readonly pointName?: string;
  /** The pass through the point (per thread) it fires at, from the failure-free run's passes. */
  readonly hit?: number;
  /** A second instance: ms after the first started. */
  readonly afterMs?: number;
  readonly fired: boolean;
}

/** What one `checkExactlyOnce` did: the faults that fired, the processes it started, how long it took. */
export interface CheckReport {
  readonly schedule: FaultSchedule;
  readonly io: string;
  readonly faults: readonly ResolvedFault[];
  /** How many of the schedule's faults fired. */
  readonly fired: number;
  /** Records of the failure-free output. */
  readonly records: number;
  /** The most passes one thread made through each fault point in the failure-free run. */
  readonly passes: Readonly<Record<string, number>>;
  /** Processes started: 1 for the failure-free run, and the faulted run's (restarts and second instances included). */
  readonly processes: { readonly failureFree: number; readonly faulted: number };
  readonly durationsMs: { readonly failureFree: number; readonly faulted: number };
}

/** `kind@point` (or `second-instance`): how a fault is counted in `tallyFaults`. */
export function faultLabel(fault: ScheduledFault): string {
  return fault.point === undefined ? fault.kind : `${fault.kind}@${fault.point}`;
}

/**
 * The faults that fired over many checks, by kind and by `kind@point`: what a property test prints and asserts on
 * ("every fault kind fired at least once").
 */
export function tallyFaults(reports: readonly CheckReport[]): { readonly byKind: Partial<Record<FaultKind, number>>; readonly byPoint: Record<string, number> } {
  const byKind: Partial<Record<FaultKind, number>> = {};
  const byPoint: Record<string, number> = {};
  for (const { faults } of reports) {
    for (const { fault, fired } of faults) {
      if (!fired) continue;
      byKind[fault.kind] = (byKind[fault.kind] ?? 0) + 1;
      byPoint[faultLabel(fault)] = (byPoint[faultLabel(fault)] ?? 0) + 1;
    }
  }
  return { byKind, byPoint };
}

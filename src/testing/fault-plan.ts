import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WeirError } from '../core/errors.ts';
import type { FaultAction, FaultSpec } from '../core/fault-points.ts';
import type { IoFaultKind, TestIo } from './io.ts';
import type { FaultSchedule, ScheduledFault } from './schedule.ts';

/**
 * The share of a point's failure-free passes a fault is placed within: a run under faults replays from its last
 * checkpoint after a restart and may pass a point less often than the failure-free run did.
 */
const REACHABLE_SHARE = 0.6;

/** What the failure-free run observed: the most passes one thread made through each point, and how long it took. */
export interface Observation {
  readonly passes: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

/** One fault of the schedule made concrete: its runtime point, pass and marker, or (a second instance) its start. */
export interface PlannedFault {
  readonly fault: ScheduledFault;
  readonly pointName?: string;
  readonly hit?: number;
  readonly marker?: string;
  readonly afterMs?: number;
  /** A second instance: its position among the later instances. */
  readonly instance?: number;
}

/** A schedule made concrete for one run: WEIR_FAULTS specs, I/O faults (held at their point), later instances. */
export interface FaultPlan {
  readonly specs: readonly FaultSpec[];
  /** Per fault of the schedule (same order): its runtime point and pass, or its start time, and its marker. */
  readonly faults: readonly PlannedFault[];
  /** I/O faults: the marker of the hold that says the job is at the point, and the kind to inject then. */
  readonly ioFaults: readonly { readonly marker: string; readonly kind: IoFaultKind }[];
  readonly laterInstancesAfterMs: readonly number[];
}

/** Reads the pass counts the threads of a WEIR_FAULT_COUNTS run wrote: the most one thread made, per point. */
export function readPasses(directory: string): Record<string, number> {
  const passes: Record<string, number> = {};
  for (const name of readdirSync(directory)) {
    const counts = JSON.parse(readFileSync(join(directory, name), 'utf8')) as Record<string, number>;
    for (const [point, count] of Object.entries(counts)) passes[point] = Math.max(passes[point] ?? 0, count);
  }
  return passes;
}

const ACTIONS: Readonly<Record<string, FaultAction>> = { throw: 'throw', 'exit-thread': 'exit-thread', kill: 'kill' };

/** Turns each fault's `at` into a pass of its point (or a start time) that the failure-free run shows a run reaches. */
export function planFaults(schedule: FaultSchedule, observed: Observation, io: TestIo<never, unknown>, markerDir: string): FaultPlan {
  const specs: FaultSpec[] = [];
  const ioFaults: { marker: string; kind: IoFaultKind }[] = [];
  const laterInstancesAfterMs: number[] = [];
  const faults = schedule.faults.map((fault, index): PlannedFault => {
    if (fault.kind === 'second-instance') {
      // Within the same share of the failure-free run's time as pass faults are of its passes: a run under faults
      // may well be faster (a quieter machine), and a start planned after its end would be no second instance.
      const afterMs = Math.round((fault.at / 100) * REACHABLE_SHARE * observed.durationMs);
      return { fault, afterMs, instance: laterInstancesAfterMs.push(afterMs) - 1 };
    }
    const pointName = fault.point === 'mid-publish' ? io.midPublishPoint : fault.point!;
    const passes = observed.passes[pointName] ?? 0;
    if (passes === 0) {
      throw new WeirError(
        `the failure-free run never passed '${fault.point}', so no fault can fire there: ` +
          (fault.point === 'alignment'
            ? 'alignment needs a parallelism of 2 or more, a keyBy, and checkpoints while several inputs still send'
            : 'the job needs checkpointing enabled with an interval short enough that checkpoints fall inside its input') +
          ` (leave the point out with faultSchedules({ points }))`,
      );
    }
    const reachable = Math.max(1, Math.floor(passes * REACHABLE_SHARE));
    const hit = 1 + Math.floor((fault.at / 100) * (reachable - 1));
    const marker = join(markerDir, `fault-${index}`);
    const action = ACTIONS[fault.kind];
    if (action === undefined) {
      if (io.faultKinds.includes(fault.kind as IoFaultKind)) ioFaults.push({ marker, kind: fault.kind as IoFaultKind });
      else throw new WeirError(`the ${io.name} I/O cannot inject '${fault.kind}'`);
    }
    specs.push({ point: pointName, hit, action: action ?? 'hold', marker });
    return { fault, pointName, hit, marker };
  });
  return { specs, faults, ioFaults, laterInstancesAfterMs };
}

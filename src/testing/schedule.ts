import type { Arbitrary } from 'fast-check';
import { WeirError } from '../core/errors.ts';
import { fastCheck } from './fast-check.ts';
import type { IoFaultKind, TestIo } from './io.ts';

/**
 * What a fault does. `throw`: a user function throws (the job restarts from its last checkpoint); `exit-thread`: a
 * worker thread ends; `kill`: the process is SIGKILLed and the kit starts it again with the same job id and
 * checkpoint directory, as a supervisor would; `second-instance`: a second process of the same job starts (at once
 * or later, as a rolling update does); `broker-restart` and `cluster-outage`: the I/O's (Kafka only).
 */
export type FaultKind = 'throw' | 'exit-thread' | 'kill' | 'second-instance' | IoFaultKind;

/**
 * Where in the protocol a fault fires. `user-function`: around a call of a user function (every record passes it);
 * `alignment`: a barrier aligned on a subtask with several inputs; `async-snapshot`: the asynchronous part of a
 * snapshot; `before-publish`: a checkpoint completed, its output not yet published (the commit gap); `mid-publish`:
 * inside the sink's publish of one checkpoint's output.
 */
export type ProtocolPoint = 'user-function' | 'alignment' | 'async-snapshot' | 'before-publish' | 'mid-publish';

/** Every protocol point, in the order a record meets them. */
export const PROTOCOL_POINTS: readonly ProtocolPoint[] = ['user-function', 'alignment', 'async-snapshot', 'before-publish', 'mid-publish'];

/** One fault of a schedule: plain data. */
export interface ScheduledFault {
  readonly kind: FaultKind;
  /** Where it fires; absent for `second-instance`, which happens at a time rather than at a point. */
  readonly point?: ProtocolPoint;
  /**
   * When, in percent (0-99): of the passes through `point` that the failure-free run made (within the first 60% of
   * them, so that a run reaches it; the runner turns it into a pass number), or, for `second-instance`, of the
   * failure-free run's duration (0: at once).
   */
  readonly at: number;
}

/** A fault schedule: plain JSON data, printable (`describeSchedule`) and replayable (`checkExactlyOnce` takes it). */
export interface FaultSchedule {
  /** The I/O it was made for ('files', 'kafka'): its faults are the kinds that I/O supports. */
  readonly io: string;
  readonly faults: readonly ScheduledFault[];
}

/** The fault kinds every I/O supports; an I/O adds its own (`TestIo.faultKinds`). */
export const PROCESS_FAULT_KINDS: readonly FaultKind[] = ['throw', 'exit-thread', 'kill', 'second-instance'];

/** The I/O fault kinds of the kit's adapters, for `faultSchedules({ io: 'kafka' })` without the adapter at hand. */
const KNOWN_IO_FAULTS: Readonly<Record<string, readonly IoFaultKind[]>> = { files: [], kafka: ['broker-restart', 'cluster-outage'], memory: [] };

/** The process faults of an I/O whose job runs in the test's own process (memoryIo): the ones that keep the process. */
const IN_PROCESS_FAULT_KINDS: readonly FaultKind[] = ['throw', 'exit-thread'];
/** The points such a job can fault at: worker-thread points (the checkpoint coordinator is the test's main thread). */
const IN_PROCESS_POINTS: readonly ProtocolPoint[] = ['user-function', 'alignment', 'async-snapshot'];

type IoDescription = string | Pick<TestIo, 'name' | 'faultKinds' | 'inProcess'>;
const inProcess = (io: IoDescription): boolean => (typeof io === 'string' ? io === 'memory' : io.inProcess === true);

/**
 * The points each kind may fire at. A thread can only end itself in a worker thread, and the checkpoint coordinator
 * (before-publish) runs in the main thread; a throw is a user function's.
 */
const POINTS_OF: Readonly<Record<FaultKind, readonly ProtocolPoint[]>> = {
  throw: ['user-function'],
  'exit-thread': ['user-function', 'alignment', 'async-snapshot', 'mid-publish'],
  kill: PROTOCOL_POINTS,
  'second-instance': [],
  'broker-restart': PROTOCOL_POINTS,
  'cluster-outage': PROTOCOL_POINTS,
};

/** Options of `faultSchedules`. */
export interface FaultScheduleOptions {
  /** The I/O the schedules will run against (its fault kinds join the process faults): 'files' (default), 'kafka', or the adapter. */
  readonly io?: string | Pick<TestIo, 'name' | 'faultKinds' | 'inProcess'>;
  /** Only these kinds (default: every kind the I/O supports). */
  readonly kinds?: readonly FaultKind[];
  /** Only these points (default: all of them). A job with parallelism 1 never aligns: leave 'alignment' out for it. */
  readonly points?: readonly ProtocolPoint[];
  /** Faults per schedule: at least (default 1) and at most (default 2). */
  readonly minFaults?: number;
  readonly maxFaults?: number;
}

/** The fault kinds an I/O supports: the process faults (those that keep the process, for memoryIo) and its own. */
export function faultKindsOf(io: string | Pick<TestIo, 'name' | 'faultKinds' | 'inProcess'>): FaultKind[] {
  const own = typeof io === 'string' ? KNOWN_IO_FAULTS[io] : io.faultKinds;
  if (own === undefined) throw new WeirError(`faultSchedules: unknown I/O '${String(io)}': pass 'files', 'kafka', 'memory' or the I/O adapter itself`);
  return [...(inProcess(io) ? IN_PROCESS_FAULT_KINDS : PROCESS_FAULT_KINDS), ...own];
}

/** The points a kind can fire at with this I/O. */
function pointsOf(kind: FaultKind, io: IoDescription): readonly ProtocolPoint[] {
  return inProcess(io) ? POINTS_OF[kind].filter((point) => IN_PROCESS_POINTS.includes(point)) : POINTS_OF[kind];
}

/**
 * A fast-check arbitrary of fault schedules: 1-2 faults (by default) of the kinds the I/O supports at the protocol
 * points each kind can fire at. A schedule is plain data; fast-check prints it in a failure's counterexample, and the
 * seed and path it prints replay it.
 */
export function faultSchedules(options: FaultScheduleOptions = {}): Arbitrary<FaultSchedule> {
  const fc = fastCheck();
  const io = options.io ?? 'files';
  const supported = faultKindsOf(io);
  const kinds = options.kinds ?? supported;
  const unsupported = kinds.filter((kind) => !supported.includes(kind));
  if (unsupported.length > 0) throw new WeirError(`faultSchedules: the ${ioName(io)} I/O cannot inject ${unsupported.join(', ')}`);
  const points = options.points ?? PROTOCOL_POINTS;
  const minFaults = options.minFaults ?? 1;
  const maxFaults = options.maxFaults ?? Math.max(2, minFaults);
  if (!(Number.isInteger(minFaults) && Number.isInteger(maxFaults) && minFaults >= 0 && maxFaults >= minFaults)) {
    throw new WeirError(`faultSchedules: need 0 <= minFaults <= maxFaults, got ${minFaults} and ${maxFaults}`);
  }
  const percent = fc.integer({ min: 0, max: 99 });
  const faults = kinds.flatMap((kind): Arbitrary<ScheduledFault>[] => {
    if (kind === 'second-instance') return [fc.record({ kind: fc.constant(kind), at: fc.oneof(fc.constant(0), percent) })];
    const at = pointsOf(kind, io).filter((point) => points.includes(point));
    return at.length === 0 ? [] : [fc.record({ kind: fc.constant(kind), point: fc.constantFrom(...at), at: percent })];
  });
  if (faults.length === 0) throw new WeirError(`faultSchedules: no kind of ${kinds.join(', ')} can fire at ${points.join(', ')}`);
  const name = ioName(io);
  return fc.array(fc.oneof(...faults), { minLength: minFaults, maxLength: maxFaults }).map((list) => ({ io: name, faults: list }));
}

const ioName = (io: string | Pick<TestIo, 'name'>): string => (typeof io === 'string' ? io : io.name);

/** One fault in words: `kill at before-publish (pass 12% in)`, `second instance at once`. */
export function describeFault(fault: ScheduledFault): string {
  if (fault.kind === 'second-instance') return fault.at === 0 ? 'second instance at once' : `second instance ${fault.at}% into the run`;
  return `${fault.kind} at ${fault.point ?? '?'} (${fault.at}% into its passes)`;
}

/** A schedule in words, one fault after another, with its JSON (what `checkExactlyOnce` takes to replay it). */
export function describeSchedule(schedule: FaultSchedule): string {
  const faults = schedule.faults.length === 0 ? 'no faults' : schedule.faults.map(describeFault).join('; ');
  return `${faults} [${schedule.io}] ${JSON.stringify(schedule)}`;
}

/** Throws a clear error for a schedule that is not well-formed or asks for faults the I/O cannot inject. */
export function validateSchedule(schedule: FaultSchedule, io: Pick<TestIo, 'name' | 'faultKinds' | 'inProcess'>): void {
  const bad = (why: string): never => {
    throw new WeirError(`checkExactlyOnce: bad fault schedule ${JSON.stringify(schedule)}: ${why}`);
  };
  if (typeof schedule !== 'object' || schedule === null || !Array.isArray(schedule.faults)) bad('it needs a list of faults');
  const supported = faultKindsOf(io);
  for (const fault of schedule.faults) {
    if (!supported.includes(fault.kind)) bad(`the ${io.name} I/O cannot inject '${String(fault.kind)}'`);
    if (!Number.isInteger(fault.at) || fault.at < 0 || fault.at > 99) bad(`'at' is a percentage from 0 to 99, got ${String(fault.at)}`);
    if (fault.kind === 'second-instance') continue;
    const points = pointsOf(fault.kind, io);
    if (fault.point === undefined || !points.includes(fault.point)) {
      bad(`'${fault.kind}' fires at one of ${points.join(', ')} with the ${io.name} I/O, not at '${String(fault.point)}'`);
    }
  }
}

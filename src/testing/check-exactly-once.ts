import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WeirError } from '../core/errors.ts';
import { FAULT_COUNTS_VARIABLE, FAULTS_VARIABLE, releaseHold } from '../core/fault-points.ts';
import { sleep } from '../core/signal.ts';
import { canonicalJson, diffOutputs, formatDiff, type Comparison } from './compare.ts';
import { ExactlyOnceViolation, FaultsNotFired } from './errors.ts';
import { planFaults, readPasses, type FaultPlan } from './fault-plan.ts';
import type { IoRun, TestIo } from './io.ts';
import { type CheckReport, type ResolvedFault } from './report.ts';
import { describeFault, describeSchedule, validateSchedule, type FaultSchedule } from './schedule.ts';
import { runInProcess } from './in-process-run.ts';
import { supervise, type SupervisionOutcome } from './supervisor.ts';

/** Options of `checkExactlyOnce`. */
export interface CheckOptions<In, Out> {
  /** The records the job reads (the I/O writes them for each run). */
  readonly input: readonly In[];
  /** The faults of the run under faults (from `faultSchedules()`, or written by hand to replay one). */
  readonly schedule: FaultSchedule;
  /** Where the input goes and the output comes from: `filesIo()`, `kafkaIo()`, `memoryIo()`. */
  readonly io: TestIo<In, Out>;
  /** 'multiset' (default), or `{ perKey }`: per key, the same records in the same order. */
  readonly compare?: Comparison<Out>;
  /** The job's parallelism (default 2: alignment needs two or more). */
  readonly parallelism?: number;
  /** More params for the job module; the I/O's params (input and output) go over them. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** The job id (default 'weir-check'; each run gets its own checkpoint directory). */
  readonly jobId?: string;
  /** A run (all its processes) that takes longer fails (default 120 000 ms). */
  readonly timeoutMs?: number;
  /** Keep the runs' files (input, output, checkpoints) and print where, to look at a failure (default false). */
  readonly keepFiles?: boolean;
  /**
   * Reuse the failure-free run of an earlier check with the same job, input, params, parallelism and I/O in this
   * process (default true): a property over schedules with a fixed input runs the job once per schedule, not twice.
   */
  readonly reuseFailureFreeRun?: boolean;
}

/** What the failure-free run is kept for: its output, and what places the faults. */
interface FailureFree<Out> {
  readonly output: Out[];
  readonly passes: Record<string, number>;
  readonly durationMs: number;
  readonly processes: number;
}

const failureFreeRuns = new Map<string, Promise<FailureFree<unknown>>>();

/** A run of the job through `weir run`: its output and what it cost. */
interface RunResult<Out> {
  readonly output: Out[];
  readonly durationMs: number;
  readonly supervision: SupervisionOutcome;
}

/**
 * Runs the job module (a `defineJob` default export, path or file URL) through the real runtime, as `weir run` child
 * processes of this package (in this process with `memoryIo()`): once without faults, once under the schedule (SIGKILLed processes are started again with
 * the same job id and checkpoint directory, second instances start beside the first), and compares the two outputs.
 * The job takes its I/O from its params (see the I/O adapter), and needs checkpointing and a restart strategy of its
 * own. Throws `ExactlyOnceViolation` with a readable diff when the outputs differ, `FaultsNotFired` when the schedule
 * asked for faults and none fired; returns what the run did (`tallyFaults` sums many).
 */
export async function checkExactlyOnce<In, Out>(jobModule: string | URL, options: CheckOptions<In, Out>): Promise<CheckReport> {
  const { input, schedule, io } = options;
  if (!Array.isArray(input)) throw new WeirError('checkExactlyOnce: input must be a list of records');
  validateSchedule(schedule, io);
  const parallelism = options.parallelism ?? 2;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new WeirError(`checkExactlyOnce: parallelism must be a positive integer, got ${String(parallelism)}`);
  const job = jobModule instanceof URL ? fileURLToPath(jobModule) : resolve(jobModule);
  if (!existsSync(job)) throw new WeirError(`checkExactlyOnce: no job module at ${job}`);
  const root = mkdtempSync(join(tmpdir(), 'weir-check-'));
  const run = (name: string, env: Record<string, string>, plan?: FaultPlan): Promise<RunResult<Out>> => runJob(job, options, parallelism, join(root, name), env, plan);
  try {
    const failureFree = async (): Promise<FailureFree<Out>> => {
      const countsDir = join(root, 'passes');
      mkdirSync(countsDir);
      const { output, durationMs, supervision } = await run('failure-free', { [FAULT_COUNTS_VARIABLE]: countsDir });
      return { output, passes: readPasses(countsDir), durationMs, processes: supervision.processes };
    };
    const free = await reused(options.reuseFailureFreeRun === false ? undefined : canonicalJson([job, input, options.params, parallelism, io.name, options.jobId]), failureFree);
    const passes = free.passes;
    const markers = join(root, 'markers');
    mkdirSync(markers);
    const plan = planFaults(schedule, { passes, durationMs: free.durationMs }, io, markers);
    const faulted = await run('faulted', { [FAULTS_VARIABLE]: JSON.stringify(plan.specs) }, plan);
    const faults: ResolvedFault[] = plan.faults.map(({ fault, pointName, hit, afterMs, marker, instance }) => ({
      fault,
      ...(pointName === undefined ? {} : { pointName }),
      ...(hit === undefined ? {} : { hit }),
      ...(afterMs === undefined ? {} : { afterMs }),
      fired: marker !== undefined ? existsSync(marker) : faulted.supervision.laterInstancesStarted[instance ?? -1] === true,
    }));
    const report: CheckReport = {
      schedule,
      io: io.name,
      faults,
      fired: faults.filter((fault) => fault.fired).length,
      records: free.output.length,
      passes,
      processes: { failureFree: free.processes, faulted: faulted.supervision.processes },
      durationsMs: { failureFree: free.durationMs, faulted: faulted.durationMs },
    };
    const context = `schedule: ${describeSchedule(schedule)}\nfaults fired: ${firedText(faults)}${options.keepFiles === true ? `\nfiles kept in ${root}` : ''}`;
    if (schedule.faults.length > 0 && report.fired === 0) {
      throw new FaultsNotFired(`the schedule asked for faults and none fired, so the run proved nothing\n${context}`, report);
    }
    const diff = diffOutputs(free.output, faulted.output, options.compare ?? 'multiset');
    if (diff !== undefined) throw new ExactlyOnceViolation(`exactly-once violated: ${formatDiff(diff)}\n${context}`, diff, report);
    return report;
  } finally {
    if (options.keepFiles !== true) rmSync(root, { recursive: true, force: true });
  }
}

function firedText(faults: readonly ResolvedFault[]): string {
  const text = faults.map(({ fault, hit, afterMs, fired }) => {
    const where = hit !== undefined ? ` on pass ${hit}` : afterMs !== undefined && afterMs > 0 ? ` after ${afterMs} ms` : '';
    return `${describeFault(fault)}${where}: ${fired ? 'fired' : 'did not fire'}`;
  });
  return text.length === 0 ? 'none asked for' : text.join('; ');
}

/** One run: the I/O prepared, `weir run` supervised (I/O faults injected while the job is held at their point). */
async function runJob<In, Out>(job: string, options: CheckOptions<In, Out>, parallelism: number, directory: string, env: Record<string, string>, plan?: FaultPlan): Promise<RunResult<Out>> {
  const name = directory.slice(directory.lastIndexOf('/') + 1);
  const ioRun: IoRun<Out> = await options.io.prepare({ input: options.input, directory: join(directory, 'io'), runName: name, parallelism });
  try {
    const params = { ...options.params, ...ioRun.params };
    const jobId = `${options.jobId ?? 'weir-check'}-${name}`;
    const checkpointDir = join(directory, 'checkpoints');
    const args = ['run', job, '--parallelism', String(parallelism), '--job-id', jobId, '--checkpoint-dir', checkpointDir, '--params', JSON.stringify(params)];
    const startedAt = Date.now();
    const kills = plan?.specs.filter((spec) => spec.action === 'kill').length ?? 0;
    const laterInstancesAfterMs = plan?.laterInstancesAfterMs ?? [];
    let running = true;
    const injecting = plan === undefined ? Promise.resolve() : injectIoFaults(plan, ioRun, () => running);
    let supervision: SupervisionOutcome;
    let collected: ReadonlyMap<string, readonly unknown[]> | undefined;
    try {
      if (options.io.inProcess === true) {
        ({ supervision, collected } = await runInProcess(job, { params, parallelism, jobId, checkpointDir, env }));
      } else {
        supervision = await supervise({ args, env, laterInstancesAfterMs, maxProcesses: 2 + 2 * (kills + laterInstancesAfterMs.length), timeoutMs: options.timeoutMs ?? 120_000 });
      }
    } catch (error) {
      throw new WeirError(`checkExactlyOnce: the ${name} run of ${job} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      running = false;
      await injecting;
    }
    return { output: await ioRun.readOutput(collected), durationMs: Date.now() - startedAt, supervision };
  } finally {
    await ioRun.cleanup?.();
  }
}

/** Waits for the job to reach each I/O fault's hold, injects the fault, and lets the job go on. */
async function injectIoFaults<Out>(plan: FaultPlan, ioRun: IoRun<Out>, running: () => boolean): Promise<void> {
  const pending = [...plan.ioFaults];
  while (pending.length > 0 && running()) {
    const at = pending.findIndex(({ marker }) => existsSync(marker));
    if (at === -1) {
      await sleep(20);
      continue;
    }
    const [{ marker, kind }] = pending.splice(at, 1) as [(typeof pending)[number]];
    try {
      if (ioRun.injectFault === undefined) throw new WeirError(`the I/O cannot inject '${kind}'`);
      await ioRun.injectFault(kind);
    } finally {
      releaseHold(marker);
    }
  }
}

/** The failure-free run with this key, made now if there is none yet (or the last one failed). */
function reused<Out>(key: string | undefined, make: () => Promise<FailureFree<Out>>): Promise<FailureFree<Out>> {
  if (key === undefined) return make();
  const known = failureFreeRuns.get(key) as Promise<FailureFree<Out>> | undefined;
  if (known !== undefined) return known;
  const made = make();
  failureFreeRuns.set(key, made);
  made.catch(() => failureFreeRuns.delete(key));
  return made;
}

import { runJob } from '../runtime/run-job.ts';
import type { SupervisionOutcome } from './supervisor.ts';

/** What the in-process run of a check needs: the same settings `weir run` gets as flags, and the fault variables. */
export interface InProcessRun {
  readonly params: Readonly<Record<string, unknown>>;
  readonly parallelism: number;
  readonly jobId: string;
  readonly checkpointDir: string;
  /** WEIR_FAULTS or WEIR_FAULT_COUNTS: worker threads read them from the environment they start with. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Runs the job in this process (`runJob`, on worker threads of its own), for an in-process I/O (memoryIo): the fault
 * variables are set in this process's environment while the job's worker threads start (each copies it), and put
 * back after. The run's restarts are the job's own (the faults keep the process).
 */
export async function runInProcess(job: string, run: InProcessRun): Promise<{ supervision: SupervisionOutcome; collected: ReadonlyMap<string, readonly unknown[]> }> {
  const saved = Object.keys(run.env).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, run.env);
  try {
    const result = await runJob({ jobModule: job, params: run.params, parallelism: run.parallelism, jobId: run.jobId, checkpointDir: run.checkpointDir, logLevel: 'warn' });
    return { supervision: { processes: 1, laterInstancesStarted: [], restarts: result.restarts }, collected: result.outputs };
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

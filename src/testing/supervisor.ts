import type { ChildProcess } from 'node:child_process';
import { WeirError } from '../core/errors.ts';
import { sleep } from '../core/signal.ts';
import { runWeir, type ProcessOutcome } from './weir-process.ts';

/** What `supervise` runs: the same `weir run` arguments for every instance, and when the later instances start. */
export interface SupervisionPlan {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** One entry per instance after the first: ms after the first instance's start (0: at once). */
  readonly laterInstancesAfterMs: readonly number[];
  /** Processes the run may start in all; past it the run fails (a job that never completes). */
  readonly maxProcesses: number;
  /** Every process still running this long after the start is killed, and the run fails. */
  readonly timeoutMs: number;
}

/** How a supervised run went. */
export interface SupervisionOutcome {
  /** Processes started, over every instance and restart. */
  readonly processes: number;
  /** Per instance after the first: whether it started (beside the first, or as a re-run once the job completed). */
  readonly laterInstancesStarted: readonly boolean[];
  /** Processes the kit restarted after a SIGKILL. */
  readonly restarts: number;
}

/** The message of a process that stopped because a newer instance of its job took its checkpoints over. */
const REPLACED = /took over its checkpoints/;

/**
 * Runs a job as a supervisor (Kubernetes, systemd) and a rolling update would: each instance is a loop that starts
 * `weir run` again with the same job id and checkpoint directory whenever its process was SIGKILLed, ends when its
 * process was replaced by a newer instance, and ends the whole run when a process completes the job (exit 0; the
 * others are killed then, as a finished deployment's old pods are). Any other exit fails the run with its stderr.
 */
export async function supervise(plan: SupervisionPlan): Promise<SupervisionOutcome> {
  const running = new Set<ChildProcess>();
  let completed = false;
  let stopped = false;
  let processes = 0;
  let restarts = 0;
  const laterInstancesStarted = plan.laterInstancesAfterMs.map(() => false);
  let failure: unknown;
  const stopAll = (): void => {
    stopped = true;
    for (const child of running) child.kill('SIGKILL');
  };
  const timer = setTimeout(stopAll, plan.timeoutMs);

  let onCompleted: () => void = () => {};
  const completion = new Promise<void>((resolve) => (onCompleted = resolve));
  const instance = async (name: string): Promise<void> => {
    for (;;) {
      if (processes >= plan.maxProcesses) throw new WeirError(`the job did not complete within ${plan.maxProcesses} processes`);
      processes++;
      const rerun = completed;
      let child: ChildProcess | undefined;
      const outcome: ProcessOutcome = await runWeir(plan.args, { env: plan.env, started: (started) => running.add((child = started)) });
      if (child !== undefined) running.delete(child);
      if (rerun) {
        // A re-run of a completed job restores its last checkpoint and must end at once, adding nothing.
        if (outcome.code !== 0) throw new WeirError(`${name}, a re-run of the completed job, exited with ${outcome.code ?? outcome.signal}:\n${outcome.stderr.trim()}`);
        return;
      }
      if (completed) return;
      if (failure !== undefined) return;
      if (stopped) throw new WeirError(`the job did not complete within ${plan.timeoutMs} ms (${name} was killed then)`);
      if (outcome.code === 0) {
        completed = true;
        stopAll();
        onCompleted();
        return;
      }
      if (outcome.signal === 'SIGKILL') {
        restarts++;
        continue;
      }
      if (outcome.code === 1 && REPLACED.test(outcome.stderr)) return;
      throw new WeirError(`${name} of the job exited with ${outcome.code ?? outcome.signal}:\n${outcome.stderr.trim()}`);
    }
  };

  // The first failure stops every instance; the others' ends are its consequence, not news.
  const supervised = (run: () => Promise<void>): Promise<void> =>
    run().catch((error: unknown) => {
      failure ??= error;
      stopAll();
    });
  const instances = [supervised(() => instance('the first instance'))];
  plan.laterInstancesAfterMs.forEach((afterMs, at) => {
    instances.push(
      supervised(async () => {
        // A job that completed before this instance's start gets it at once, as a re-run: what a deployment started
        // twice does when the first was quicker (and it still must not add or lose a record).
        await Promise.race([sleep(afterMs), completion]);
        if (failure !== undefined || (stopped && !completed)) return;
        laterInstancesStarted[at] = true;
        await instance(`instance ${at + 2}`);
      }),
    );
  });
  try {
    await Promise.all(instances);
    if (failure !== undefined) throw failure;
    if (!completed) throw new WeirError('no instance completed the job: every one was replaced');
  } finally {
    clearTimeout(timer);
    stopAll();
  }
  return { processes, laterInstancesStarted, restarts };
}

import { threadId, type MessagePort } from 'node:worker_threads';
import type { CoordinatorToWorker, WorkerTask, WorkerToCoordinator } from '../messages.ts';
import { buildJob } from '../../api/job.ts';
import { loadJob } from '../job-loader.ts';
import { planJob } from '../planner.ts';
import { planDeployment } from '../deployment.ts';
import { StatsBoard } from '../stats-board.ts';
import { SourceWatermarkBoard } from '../watermark-alignment.ts';
import { describeError, isFatal, OperatorError } from '../../core/errors.ts';
import { serializeError } from '../../core/serialized-error.ts';
import { setCoordinatorPort, sendToCoordinator as post } from '../../core/coordinator-link.ts';
import { startFaultCounting } from '../../core/fault-points.ts';
import { buildSubtasks } from './subtask-builder.ts';
import { StatusOutbox } from './status-outbox.ts';
import { createLogger } from '../../observe/logger.ts';

const sendToCoordinator = (message: WorkerToCoordinator): void => post(message);

/**
 * Entry of a worker thread's long-lived task: rebuild the job's graph from its module (functions are never
 * serialised), check it matches the coordinator's plan, then run this worker's subtasks until all finish. Resolves
 * true when every subtask closed cleanly: only then may the thread serve another attempt (src/runtime/worker-pools.ts).
 */
export async function runWorkerTask(task: WorkerTask): Promise<boolean> {
  const control: MessagePort = task.control;
  setCoordinatorPort(control);
  startFaultCounting();
  const log = createLogger(task.logLevel, { worker: task.workerIndex });
  let subtasks: ReturnType<typeof buildSubtasks> = [];
  let runs: Promise<void>[] = [];
  const statuses = new StatusOutbox((reports) => sendToCoordinator({ type: 'status', reports }));
  let closedCleanly = true;
  const cancelAll = (): void => subtasks.forEach((subtask) => subtask.runner.cancel());
  control.on('message', (message: CoordinatorToWorker) => {
    switch (message.type) {
      case 'cancel':
        return cancelAll();
      case 'trigger':
        return subtasks.forEach((subtask) => subtask.runner.trigger(message.barrier));
      case 'complete':
      case 'abort':
        return subtasks.forEach((subtask) => subtask.runner.notice(message.type, message.checkpointId));
      case 'release':
        return subtasks.forEach((subtask) => subtask.runner.release());
      case 'stop':
        return subtasks.forEach((subtask) => subtask.runner.notice('stop', 0));
    }
  });
  try {
    const job = await loadJob(task.jobModule);
    const env = buildJob(job, task.params);
    const plan = planJob(env, { defaultParallelism: task.defaultParallelism });
    if (plan.fingerprint !== task.fingerprint) {
      throw new Error('the job module built a different graph in this worker than on the coordinator: build the same graph on every call (no randomness or I/O in the builder)');
    }
    const deployment = planDeployment(plan, task.threads);
    const stats = new StatsBoard(plan, deployment, task.stats);
    subtasks = buildSubtasks({
      env,
      plan,
      deployment,
      stats,
      sourceWatermarks: new SourceWatermarkBoard(plan, task.sourceWatermarks),
      jobName: job.name,
      jobId: task.checkpoints.jobId,
      runId: task.runId,
      instanceId: task.instanceId,
      worker: task.workerIndex,
      ports: task.ports,
      stateDir: task.stateDir,
      restore: task.restore,
      checkpointing: task.checkpointing,
      reporter: (name) => ({
        acknowledge: (checkpointId, snapshot) => sendToCoordinator({ type: 'acknowledge', checkpointId, task: name, snapshot }),
        decline: (checkpointId, reason) => sendToCoordinator({ type: 'decline', checkpointId, task: name, reason }),
      }),
      onSubtaskFinished: (name) => sendToCoordinator({ type: 'subtask-finished', task: name }),
      reportStatus: (planned, subtask, kind, status) => statuses.report({ name: planned.name, operatorId: planned.operatorId }, subtask, kind, status),
    });
    log.debug({ subtasks: subtasks.map((s) => s.name) }, 'worker starting subtasks');
    for (const subtask of subtasks) await subtask.open();
    sendToCoordinator({ type: 'started', threadId });
    runs = subtasks.map((subtask) => subtask.runner.run());
    await Promise.all(
      runs.map((run) =>
        run.catch((error: unknown) => {
          cancelAll();
          throw error;
        }),
      ),
    );
    statuses.flush();
    sendToCoordinator({ type: 'finished' });
  } catch (error) {
    cancelAll();
    statuses.flush();
    log.debug({ err: error }, 'worker failed');
    sendToCoordinator({
      type: 'failed',
      failure: {
        message: error instanceof Error ? error.message : describeError(error),
        fatal: isFatal(error),
        operator: error instanceof OperatorError ? error.operator : undefined,
        stack: error instanceof Error ? error.stack : undefined,
        error: serializeError(error),
      },
    });
    // The other subtasks are still winding down after the cancel and may yet report (a status, an acknowledgement):
    // the port must stay open until they end, or their report throws in this thread and hides the real failure.
    await Promise.allSettled(runs);
  } finally {
    // Subtasks that never ran (a failed open elsewhere) still hold open state environments.
    for (const subtask of subtasks) {
      await subtask.close().catch((error: unknown) => {
        closedCleanly = false;
        log.debug({ err: error }, 'close failed');
      });
    }
    for (const subtask of subtasks) subtask.closeChannels();
    statuses.close();
    setCoordinatorPort(undefined);
    control.close();
  }
  return closedCleanly;
}

import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { CoordinatorToWorker, FailureReport, WorkerTask, WorkerToCoordinator } from './messages.ts';
import type { PhysicalPlan } from './planner.ts';
import type { Deployment } from './deployment.ts';
import type { StatsBoard } from './stats-board.ts';
import { SourceWatermarkBoard } from './watermark-alignment.ts';
import type { Logger } from '../observe/logger.ts';
import { taskName, type CheckpointTarget, type RestorePoint } from '../checkpoint/snapshot-state.ts';
import type { ResolvedCheckpointConfig } from '../api/environment.ts';
import { CheckpointCoordinator, type SavepointResult } from '../checkpoint/checkpoint-coordinator.ts';
import { DEFAULT_CHECKPOINT_TIMEOUT_MS } from '../checkpoint/checkpoint-scheduler.ts';
import { describeError, WeirError, type WeirErrorCode } from '../core/errors.ts';
import { serializeError } from '../core/serialized-error.ts';
import { fileNamePart } from '../core/file-names.ts';
import type { CollectedOutputs } from './collected-outputs.ts';
import type { JobStatus } from './job-status.ts';
import type { JobControl } from './job-control.ts';
import type { CheckpointHistory } from '../checkpoint/checkpoint-history.ts';
import { returnWorkerPool, takeWorkerPool } from './worker-pools.ts';

const CANCEL_GRACE_MS = 5_000;
/** A savepoint asked for by SIGTERM is tried this often before the job stops without one. */
const SAVEPOINT_TRIES = 3;

export interface AttemptOptions {
  readonly jobName: string;
  /** Names the run's output (see SinkContext). */
  readonly runId: string;
  readonly instanceId: string;
  readonly jobModule: string;
  readonly params: unknown;
  readonly defaultParallelism: number;
  readonly threads: number;
  readonly logLevel: string;
  readonly plan: PhysicalPlan;
  readonly deployment: Deployment;
  readonly stats: StatsBoard;
  readonly log: Logger;
  /** Parent of the attempt's working state directory. */
  readonly stateParent: string;
  readonly checkpointing: ResolvedCheckpointConfig | undefined;
  readonly checkpoints: CheckpointTarget;
  /** This run's claim on the checkpoints (see CheckpointStorage.claim); undefined when nobody else can share them. */
  readonly checkpointOwner: string | undefined;
  /**
   * Called once every operator has opened, before the first checkpoint: throws when the attempt must not go on from
   * its restore point (an instance it replaced completed a newer checkpoint meanwhile), so that a restart restores it.
   */
  readonly checkRestorePoint: (() => Promise<void>) | undefined;
  readonly savepoints: CheckpointTarget;
  /** Where savepoints the job goes on after are written (apart from its checkpoints). */
  readonly intermediateSavepoints: CheckpointTarget;
  readonly restore: RestorePoint | undefined;
  readonly lastCheckpointId: number;
  /** Aborted when the job should stop with a savepoint (SIGTERM). */
  readonly stop: AbortSignal | undefined;
  /** CollectSink records, appended as they arrive. */
  readonly outputs: CollectedOutputs;
  /** Operator subtasks' statuses, kept for the life of the job. */
  readonly status: JobStatus;
  /** The job's state for its HTTP routes, and their savepoint requests. */
  readonly control: JobControl;
  /** The job's checkpoint statistics, kept across attempts. */
  readonly checkpointHistory: CheckpointHistory;
}

export type AttemptOutcome = (
  | { readonly kind: 'finished' }
  | { readonly kind: 'failed'; readonly failure: FailureReport }
  | { readonly kind: 'stopped'; readonly savepoint: SavepointResult | undefined; readonly reason: string | undefined }
) & {
  /** The highest checkpoint id used: the next attempt goes on after it. */
  readonly lastCheckpointId: number;
  /** When every worker had opened its operators. */
  readonly runningSince: number | undefined;
  readonly threadIds: readonly number[];
};

/**
 * One attempt of a job: a pool of worker threads running every subtask from the restore point (or from the start),
 * with its checkpoint coordinator, until the job finishes, fails, or stops with a savepoint.
 */
export async function runAttempt(options: AttemptOptions): Promise<AttemptOutcome> {
  const { deployment, plan, log } = options;
  const stateDir = await mkdtemp(join(options.stateParent, `weir-${fileNamePart(options.jobName)}-`));
  const lease = takeWorkerPool(deployment.workerCount);
  const pool = lease.pool;
  // A worker thread that throws outside its task (say, a late callback) is a failure of the attempt, not of the process.
  const onThreadError = (error: unknown): void => fail(attemptFailure(`a worker thread failed: ${describeError(error)}`, error, 'WEIR_WORKER_FAILED'));
  pool.on('error', onThreadError);
  /** Every worker's task returned and closed its subtasks, and no thread died: the threads may serve the next attempt. */
  let allTasksReturned = false;
  const controls: MessagePort[] = [];
  const send = (message: CoordinatorToWorker): void => {
    for (const control of controls) control.postMessage(message);
  };
  const tasks = plan.vertices.flatMap((vertex) => Array.from({ length: vertex.parallelism }, (_, index) => taskName(vertex.id, index)));
  const checkpointing = options.checkpointing;
  const coordinator = new CheckpointCoordinator({
    jobName: options.jobName,
    runId: options.runId,
    plan,
    settings: checkpointing ?? { intervalMs: Number.POSITIVE_INFINITY, timeoutMs: DEFAULT_CHECKPOINT_TIMEOUT_MS, minPauseMs: 0 },
    tasks,
    checkpoints: options.checkpoints,
    owner: options.checkpointOwner,
    onTakenOver: (message) => fail(attemptFailure(message, undefined, 'WEIR_ERROR', true)),
    savepoints: options.savepoints,
    intermediateSavepoints: options.intermediateSavepoints,
    retained: checkpointing?.retained ?? 1,
    lastCheckpointId: options.lastCheckpointId,
    send,
    log,
    history: options.checkpointHistory,
    alignmentOf: (checkpointId) => Math.max(0, ...statsSlots(plan, options.stats).map((slot) => options.stats.alignmentMs(slot, checkpointId))),
  });
  coordinator.onCompleted((checkpoint) => options.control.checkpointCompleted(checkpoint));

  let failure: FailureReport | undefined;
  let stopped: { savepoint: SavepointResult | undefined; reason: string | undefined } | undefined;
  let workersStarted = 0;
  let runningSince: number | undefined;
  const threadIds: number[] = [];
  const finishedTasks = new Set<string>();
  let ended!: () => void;
  /** Resolves a grace period after a failure or stop, so one stuck worker cannot keep the attempt alive. */
  const graceOver = new Promise<void>((resolve) => {
    ended = () => setTimeout(resolve, CANCEL_GRACE_MS).unref();
  });
  /** Failures cancel at once; a stop lets the subtasks publish what the savepoint completed first. */
  const end = (message: CoordinatorToWorker): void => {
    coordinator.stop(failure?.message ?? 'the job stopped');
    ended();
    send(message);
  };
  const fail = (report: FailureReport): void => {
    if (failure !== undefined || stopped !== undefined) return;
    failure = report;
    log.error({ operator: report.operator, stack: report.stack }, report.message);
    end({ type: 'cancel' });
  };
  const onAllFinished = async (): Promise<void> => {
    try {
      if (checkpointing !== undefined) await coordinator.finalCheckpoint();
      send({ type: 'release' });
    } catch (error) {
      fail(attemptFailure(describeError(error), error, 'WEIR_ERROR'));
    }
  };
  const onAllStarted = async (): Promise<void> => {
    try {
      await options.checkRestorePoint?.();
    } catch (error) {
      return fail({ message: describeError(error), operator: undefined, stack: undefined });
    }
    if (failure !== undefined) return;
    coordinator.start();
    options.control.attemptRunning({ savepoint: () => coordinator.requestSavepoint({ stop: false }) });
    if (options.stop !== undefined) {
      if (options.stop.aborted) void onStop();
      else options.stop.addEventListener('abort', () => void onStop(), { once: true });
    }
  };
  const onStop = async (): Promise<void> => {
    let reason: string | undefined;
    for (let tries = 1; tries <= SAVEPOINT_TRIES && failure === undefined; tries++) {
      try {
        const savepoint = await coordinator.requestSavepoint();
        log.info({ path: savepoint.path }, `savepoint ${savepoint.checkpointId} written to ${savepoint.path}`);
        stopped = { savepoint, reason: undefined };
        end({ type: 'stop' });
        options.control.stopped(savepoint, undefined);
        return;
      } catch (error) {
        reason = describeError(error);
        log.warn({ reason, tries }, 'savepoint failed');
      }
    }
    if (failure === undefined) {
      stopped = { savepoint: undefined, reason: `no savepoint after ${SAVEPOINT_TRIES} tries: ${reason ?? 'unknown'}` };
      end({ type: 'stop' });
      options.control.stopped(undefined, stopped.reason);
    }
  };

  try {
    const portsByWorker = remotePorts(deployment);
    // Per attempt: a restarted attempt's sources start unheard, not at the watermarks of the failed one.
    const sourceWatermarks = SourceWatermarkBoard.allocate(options.plan);
    const running = Array.from({ length: deployment.workerCount }, (_, worker) => {
      const control = new MessageChannel();
      controls.push(control.port1);
      const finished = new Promise<void>((resolve) => {
        control.port1.on('message', (message: WorkerToCoordinator) => {
          switch (message.type) {
            case 'collect':
              return options.outputs.append(message.sink, message.afterCheckpoint ?? options.restore?.checkpointId ?? 0, message.records);
            case 'failed':
              return fail(message.failure);
            case 'started':
              threadIds[worker] = message.threadId;
              if (++workersStarted === deployment.workerCount) {
                runningSince = performance.now();
                void onAllStarted();
              }
              return;
            case 'subtask-finished':
              finishedTasks.add(message.task);
              if (finishedTasks.size === tasks.length) void onAllFinished();
              return;
            case 'acknowledge':
              return coordinator.onAcknowledge(message.checkpointId, message.task, message.snapshot);
            case 'decline':
              return coordinator.onDecline(message.checkpointId, message.task, message.reason);
            case 'status':
              return options.status.record(message.reports);
            case 'finished':
              return resolve();
          }
        });
        control.port1.on('close', resolve);
      });
      const ports = portsByWorker[worker]!;
      const task: WorkerTask = {
        workerIndex: worker,
        jobModule: options.jobModule,
        params: options.params,
        defaultParallelism: options.defaultParallelism,
        threads: options.threads,
        fingerprint: plan.fingerprint,
        stats: options.stats.buffer,
        sourceWatermarks,
        control: control.port2,
        ports,
        logLevel: options.logLevel,
        stateDir,
        checkpoints: options.checkpoints,
        runId: options.runId,
        instanceId: options.instanceId,
        restore: options.restore,
        checkpointing: checkpointing !== undefined,
      };
      const run = pool.run(task, { transferList: [control.port2, ...Object.values(ports)] }).then(
        (closedCleanly: unknown) => closedCleanly === true,
        (error: unknown) => {
          fail(attemptFailure(`worker thread ${worker} died: ${describeError(error)}`, error, 'WEIR_WORKER_FAILED'));
          return false;
        },
      );
      return Promise.all([run, finished]).then(([returned]) => returned);
    });
    await Promise.race([Promise.all(running).then((returned) => (allTasksReturned = returned.every(Boolean))), graceOver]);
  } finally {
    coordinator.stop(failure?.message ?? 'the attempt ended');
    for (const control of controls) control.close();
    pool.off('error', onThreadError);
    await returnWorkerPool(lease, allTasksReturned && failure === undefined && stopped === undefined);
    await rm(stateDir, { recursive: true, force: true });
  }
  const common = { lastCheckpointId: coordinator.lastCheckpointId, runningSince, threadIds };
  if (failure !== undefined) return { kind: 'failed', failure, ...common };
  if (stopped !== undefined) return { kind: 'stopped', ...stopped, ...common };
  return { kind: 'finished', ...common };
}

/** One MessageChannel per cross-thread channel: the sender's end to the upstream worker, the other to the downstream. */
function remotePorts(deployment: Deployment): Record<string, MessagePort>[] {
  const byWorker = Array.from({ length: deployment.workerCount }, () => ({}) as Record<string, MessagePort>);
  for (const spec of deployment.channels) {
    if (spec.fromWorker === spec.toWorker) continue;
    const { port1, port2 } = new MessageChannel();
    byWorker[spec.fromWorker]![spec.key] = port1;
    byWorker[spec.toWorker]![spec.key] = port2;
  }
  return byWorker;
}

/** A failure the main thread saw itself (a worker died, the final checkpoint failed), as a worker would report it. */
function attemptFailure(message: string, cause: unknown, code: WeirErrorCode, fatal = false): FailureReport {
  const error = new WeirError(message, { cause, code, fatal });
  return { message, fatal, operator: undefined, stack: error.stack, error: serializeError(error) };
}

/** Every operator subtask's slot on the stats board. */
function statsSlots(plan: PhysicalPlan, stats: StatsBoard): number[] {
  return [...plan.nodes.values()].flatMap((node) => Array.from({ length: node.parallelism }, (_, subtask) => stats.nodeSlot(node.nodeId, subtask)));
}

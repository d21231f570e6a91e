import { join } from 'node:path';
import type { Logger } from '../observe/logger.ts';
import type { CheckpointNotice, CheckpointedPlan } from './checkpointed-plan.ts';
import { CheckpointScheduler, type CheckpointSettings, type SchedulerAction } from './checkpoint-scheduler.ts';
import { filesOf, storageAt, withKeyedFiles, subtaskIndexOfTask, type Barrier, type CheckpointTarget, type JobCheckpointState, type OperatorSubtaskState, type SubtaskSnapshot } from './snapshot-state.ts';
import { CheckpointTakenError } from './storage.ts';
import { faultPoint } from '../core/fault-points.ts';
import type { CheckpointHistory } from './checkpoint-history.ts';
import { describeError } from '../core/errors.ts';

export interface CheckpointCoordinatorOptions {
  readonly jobName: string;
  /** Recorded in every checkpoint, so that a restore continues the run (and its output names). */
  readonly runId: string;
  readonly plan: CheckpointedPlan;
  /** Periodic checkpoints; with an infinite interval only requested ones run (savepoints, the final checkpoint). */
  readonly settings: CheckpointSettings;
  /** Every subtask that must acknowledge, as the workers name them. */
  readonly tasks: readonly string[];
  readonly checkpoints: CheckpointTarget;
  /** This run's claim on the checkpoints: a checkpoint completes only while the storage still names it as owner. */
  readonly owner: string | undefined;
  /** Another instance took the checkpoints over: this one must stop (no restart). */
  readonly onTakenOver: (message: string) => void;
  readonly savepoints: CheckpointTarget;
  /**
   * Where savepoints taken while the job goes on are written (`requestSavepoint({ stop: false })`): never among the
   * job's checkpoints, whose retention would delete them. The savepoints target by default.
   */
  readonly intermediateSavepoints?: CheckpointTarget;
  /** Completed checkpoints kept (savepoints elsewhere are not counted). */
  readonly retained: number;
  /** Ids go on from here, across attempts and runs. */
  readonly lastCheckpointId: number;
  /** Sends to every worker. */
  readonly send: (message: CheckpointNotice) => void;
  readonly log: Logger;
  /** The job's checkpoint statistics, kept across attempts (the job's observations read them). */
  readonly history?: CheckpointHistory;
  /** The slowest subtask's barrier alignment for a checkpoint, in ms (read from the stats board when it completes). */
  readonly alignmentOf?: (checkpointId: number) => number;
}

/** A completed checkpoint or savepoint, as logged at info and told to `onCompleted`. */
export interface CompletedCheckpoint {
  readonly checkpointId: number;
  readonly kind: 'checkpoint' | 'savepoint';
  /** Its directory. */
  readonly path: string;
  /** From its trigger to its metadata's write. */
  readonly durationMs: number;
  /** The bytes of the state files it names (shared files of earlier checkpoints included). */
  readonly sizeBytes: number;
  /** The slowest subtask's barrier alignment. */
  readonly alignmentMs: number;
  readonly completedAt: number;
}

/** A completed savepoint: where it is, for `--from-savepoint`. */
export interface SavepointResult {
  readonly checkpointId: number;
  readonly path: string;
}

type Waiter = { resolve(result: SavepointResult): void; reject(error: Error): void; readonly stop: boolean };

/**
 * The main thread's side of checkpoints for one job attempt (docs/architecture.md, decision 7): runs the scheduler's state table on
 * the wall clock, sends triggers, gathers the subtasks' acknowledgements, writes the metadata last (the moment a
 * checkpoint completes), keeps the newest `retained`, and then tells the workers, so that sinks publish.
 */
export class CheckpointCoordinator {
  private readonly scheduler: CheckpointScheduler;
  private readonly acks = new Map<number, Map<string, SubtaskSnapshot>>();
  private readonly barriers = new Map<number, Barrier>();
  private timer: NodeJS.Timeout | undefined;
  /** A completion or abort is being written: no trigger until it is done, so notices reach workers in order. */
  private settling: Promise<void> = Promise.resolve();
  private busy = false;
  private stopped = false;
  private stoppedReason: string | undefined;
  private highestId: number;
  private readonly savepointWaiters: Waiter[] = [];
  /** Savepoints triggered for a stop; the others are intermediate (written apart, no completion notice). */
  private readonly stopSavepoints = new Set<number>();
  private readonly completedListeners: ((checkpoint: CompletedCheckpoint) => void)[] = [];
  private finalWaiter: { resolve(): void; reject(error: Error): void; attempts: number; checkpointId?: number } | undefined;

  constructor(private readonly options: CheckpointCoordinatorOptions) {
    this.highestId = options.lastCheckpointId;
    this.scheduler = new CheckpointScheduler(options.settings, options.tasks, Date.now(), options.lastCheckpointId);
  }

  /** The highest id triggered so far: the next attempt goes on after it. */
  get lastCheckpointId(): number {
    return this.highestId;
  }

  start(): void {
    this.arm();
  }

  /** The attempt ends: the pending checkpoint will not complete; waiters learn why. */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stoppedReason = reason;
    clearTimeout(this.timer);
    for (const action of this.scheduler.abortPending(reason, Date.now())) void this.run(action);
    const error = new Error(reason);
    for (const waiter of this.savepointWaiters.splice(0)) waiter.reject(error);
    this.finalWaiter?.reject(error);
    this.finalWaiter = undefined;
  }

  onAcknowledge(checkpointId: number, task: string, snapshot: SubtaskSnapshot): void {
    this.acks.get(checkpointId)?.set(task, snapshot);
    this.apply(this.scheduler.acknowledge(checkpointId, task, Date.now()));
  }

  onDecline(checkpointId: number, task: string, reason: string): void {
    this.apply(this.scheduler.decline(checkpointId, task, reason, Date.now()));
  }

  /**
   * Takes a savepoint as soon as no checkpoint is pending. A stop's savepoint (the default) is written among the
   * checkpoints and its completion is told to the operators (sinks publish up to it: the job stops after it). One the
   * job goes on after (`stop: false`, Flink's intermediate savepoint) is written apart and is not: the next
   * checkpoint's completion covers its epoch, so a restore from the job's checkpoints never repeats published output.
   */
  requestSavepoint(options: { readonly stop?: boolean } = {}): Promise<SavepointResult> {
    // An attempt that is ending takes no more savepoints: a request it would never answer held the job's HTTP server
    // open (and so the process) after the job was over.
    if (this.stopped) return Promise.reject(new Error(this.stoppedReason ?? 'the attempt ended'));
    return new Promise((resolve, reject) => {
      this.savepointWaiters.push({ resolve, reject, stop: options.stop ?? true });
      this.scheduler.requestSavepoint();
      this.arm();
    });
  }

  /** Called after every checkpoint or savepoint completes (the job's HTTP routes keep the latest). */
  onCompleted(listener: (checkpoint: CompletedCheckpoint) => void): void {
    this.completedListeners.push(listener);
  }

  /** Every subtask finished: one more checkpoint takes their final state, and its completion publishes the last epoch. */
  finalCheckpoint(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.finalWaiter = { resolve, reject, attempts: 0 };
      this.scheduler.requestCheckpoint();
      this.arm();
    });
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.stopped || this.busy) return;
    const due = this.scheduler.nextDueAt();
    if (due === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => this.apply(this.scheduler.poll(Date.now())), Math.max(0, due - Date.now()));
  }

  private apply(actions: readonly SchedulerAction[]): void {
    for (const action of actions) void this.run(action);
    this.arm();
  }

  private async run(action: SchedulerAction): Promise<void> {
    if (action.kind === 'trigger') return this.trigger(action.checkpointId, action.savepoint);
    this.busy = true;
    clearTimeout(this.timer);
    const settled = this.settling.then(() => (action.kind === 'complete' ? this.complete(action.checkpointId, action.savepoint) : this.abort(action.checkpointId, action.reason)));
    this.settling = settled.catch(() => {});
    try {
      await settled;
    } catch (error) {
      this.options.log.error({ err: error, checkpointId: action.checkpointId }, 'checkpoint could not be settled');
    } finally {
      this.busy = false;
      this.arm();
    }
  }

  private trigger(checkpointId: number, savepoint: boolean): void {
    if (this.stopped) return;
    this.highestId = Math.max(this.highestId, checkpointId);
    // A stop waiting decides: its savepoint must be told to the operators; waiters of an intermediate one share it.
    const forStop = savepoint && this.savepointWaiters.some((waiter) => waiter.stop);
    if (forStop) this.stopSavepoints.add(checkpointId);
    const savepointTarget = forStop ? this.options.savepoints : (this.options.intermediateSavepoints ?? this.options.savepoints);
    const barrier: Barrier = {
      t: 'barrier',
      checkpointId,
      kind: savepoint ? 'savepoint' : 'checkpoint',
      target: savepoint ? savepointTarget : this.options.checkpoints,
      full: savepoint,
    };
    this.barriers.set(checkpointId, barrier);
    this.acks.set(checkpointId, new Map());
    if (this.finalWaiter !== undefined && this.finalWaiter.checkpointId === undefined && !savepoint) this.finalWaiter.checkpointId = checkpointId;
    this.options.history?.triggered(checkpointId, barrier.kind, this.scheduler.table.get(checkpointId)?.triggeredAt ?? Date.now());
    this.options.log.debug({ checkpointId, savepoint }, 'checkpoint triggered');
    this.options.send({ type: 'trigger', barrier });
  }

  private async complete(checkpointId: number, savepoint: boolean): Promise<void> {
    const barrier = this.barriers.get(checkpointId)!;
    let state = this.jobState(this.acks.get(checkpointId)!);
    this.acks.delete(checkpointId);
    const storage = storageAt(barrier.target);
    const { root, jobId } = barrier.target;
    const shared = root === this.options.checkpoints.root && jobId === this.options.checkpoints.jobId;
    const owner = shared ? this.options.owner : undefined;
    const triggeredAt = this.scheduler.table.get(checkpointId)?.triggeredAt ?? Date.now();
    try {
      if (owner !== undefined && (await storage.owner()) !== owner) throw new CheckpointTakenError(`another instance took over the checkpoints`, true);
      // The id's directory is this writer's from here on: another instance that used the same id cannot complete it.
      await storage.reserve(checkpointId);
      // A savepoint keeps its files in its own directory, so that it restores wherever it is moved or copied.
      if (savepoint) state = withKeyedFiles(state, await storage.adopt(checkpointId, filesOf(state)));
      faultPoint('checkpoint-reserved');
      await storage.commit({ checkpointId, kind: barrier.kind, triggeredAt, files: filesOf(state), state }, owner);
    } catch (error) {
      if (error instanceof CheckpointTakenError && error.takenOver) {
        this.options.onTakenOver(`another instance of job '${jobId}' took over its checkpoints in ${root}: this instance stops`);
      }
      return this.abort(checkpointId, `it could not be completed: ${describeError(error)}`);
    }
    this.barriers.delete(checkpointId);
    const path = join(root, jobId, `chk-${checkpointId}`);
    const sizes = stateSizes(state);
    const alignmentMs = this.options.alignmentOf?.(checkpointId) ?? 0;
    this.options.history?.completed(checkpointId, Date.now(), { ...sizes, alignmentMs, path });
    // The checkpoint is complete from here on; a crash now must still publish its epoch (the restore does).
    faultPoint('before-publish');
    if (!savepoint) {
      // Old checkpoints that stay cost disk space only: the job goes on.
      await storage.retain(this.options.retained).catch((error: unknown) => this.options.log.warn({ err: describeError(error), checkpointId }, 'could not remove old checkpoints'));
    }
    const forStop = this.stopSavepoints.delete(checkpointId);
    const durationMs = Date.now() - triggeredAt;
    const { sizeBytes } = sizes;
    const completed: CompletedCheckpoint = { checkpointId, kind: barrier.kind, path, durationMs, sizeBytes, alignmentMs, completedAt: Date.now() };
    this.options.log.info(
      { checkpointId, kind: barrier.kind, durationMs, sizeBytes, alignmentMs, path },
      `${barrier.kind} ${checkpointId} complete in ${durationMs} ms (alignment ${alignmentMs} ms), ${sizeBytes} bytes`,
    );
    // An intermediate savepoint publishes nothing: the operators hear of the next checkpoint, which covers it.
    if (!savepoint || forStop) this.options.send({ type: 'complete', checkpointId });
    if (savepoint) {
      const waiters = forStop ? this.savepointWaiters.splice(0) : this.takeWaiters((waiter) => !waiter.stop);
      for (const waiter of waiters) waiter.resolve({ checkpointId, path });
    }
    for (const listener of this.completedListeners) listener(completed);
    const final = this.finalWaiter;
    if (final !== undefined && final.checkpointId !== undefined && checkpointId >= final.checkpointId) {
      this.finalWaiter = undefined;
      final.resolve();
    }
  }

  private async abort(checkpointId: number, reason: string): Promise<void> {
    const barrier = this.barriers.get(checkpointId);
    this.acks.delete(checkpointId);
    this.barriers.delete(checkpointId);
    this.options.history?.failed(checkpointId, Date.now(), reason);
    this.options.log.warn({ checkpointId, reason }, `checkpoint ${checkpointId} aborted: ${reason}`);
    if (barrier !== undefined) {
      await storageAt(barrier.target)
        .abort(checkpointId)
        .catch((error: unknown) => this.options.log.warn({ err: describeError(error), checkpointId }, 'could not remove an aborted checkpoint'));
    }
    if (!this.stopped) this.options.send({ type: 'abort', checkpointId });
    if (barrier?.kind === 'savepoint') {
      const forStop = this.stopSavepoints.delete(checkpointId);
      const waiters = forStop ? this.savepointWaiters.splice(0) : this.takeWaiters((waiter) => !waiter.stop);
      for (const waiter of waiters) waiter.reject(new Error(`savepoint ${checkpointId} aborted: ${reason}`));
    }
    const final = this.finalWaiter;
    if (final !== undefined && final.checkpointId === checkpointId && !this.stopped) {
      // Every subtask is finished and answers at once: another try normally succeeds; a few failures mean it cannot.
      if (++final.attempts >= 3) {
        this.finalWaiter = undefined;
        final.reject(new Error(`the final checkpoint failed: ${reason}`));
      } else {
        delete final.checkpointId;
        this.scheduler.requestCheckpoint();
      }
    }
  }

  /** Removes and returns the savepoint waiters that `matches` picks; the others wait on. */
  private takeWaiters(matches: (waiter: Waiter) => boolean): Waiter[] {
    const taken = this.savepointWaiters.filter(matches);
    const kept = this.savepointWaiters.filter((waiter) => !matches(waiter));
    this.savepointWaiters.splice(0, this.savepointWaiters.length, ...kept);
    return taken;
  }

  /** Gathers the acknowledgements into the metadata's state: per operator, per subtask. */
  private jobState(acks: ReadonlyMap<string, SubtaskSnapshot>): JobCheckpointState {
    const { plan } = this.options;
    const operators: Record<string, { name: string; parallelism: number; subtasks: OperatorSubtaskState[] }> = {};
    for (const node of plan.nodes.values()) {
      operators[node.operatorId] = { name: node.name, parallelism: node.parallelism, subtasks: Array.from({ length: node.parallelism }, () => ({})) };
    }
    for (const [task, snapshot] of acks) {
      const index = subtaskIndexOfTask(task);
      for (const [operatorId, state] of Object.entries(snapshot)) operators[operatorId]!.subtasks[index] = state;
    }
    return { jobName: this.options.jobName, runId: this.options.runId, maxParallelism: plan.maxParallelism, operators };
  }
}

/** The bytes of every file a checkpoint's state names, in all and per operator (a file shared by two counts in both). */
function stateSizes(state: JobCheckpointState): { sizeBytes: number; bytesByOperator: Record<string, number> } {
  const bytesByOperator: Record<string, number> = {};
  for (const [operatorId, operator] of Object.entries(state.operators)) {
    const files = new Map<string, number>();
    for (const subtask of operator.subtasks) {
      for (const ref of subtask.keyed ?? []) files.set(ref.file.path, ref.file.bytes);
      for (const file of subtask.files ?? []) files.set(file.path, file.bytes);
    }
    bytesByOperator[operatorId] = [...files.values()].reduce((sum, bytes) => sum + bytes, 0);
  }
  return { sizeBytes: filesOf(state).reduce((sum, file) => sum + file.bytes, 0), bytesByOperator };
}

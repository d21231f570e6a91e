import { randomUUID } from 'node:crypto';
import type { CompletedCheckpoint, SavepointResult } from '../checkpoint/checkpoint-coordinator.ts';
import { HttpError } from '../observe/http-server.ts';

/** Where a job is in its life, as `GET /job` says it. */
export type JobState = 'created' | 'running' | 'restarting' | 'stopping' | 'finished' | 'failed';

/** What a running attempt lets the job's routes do. */
export interface AttemptHandle {
  /** Takes a savepoint the job goes on after. */
  savepoint(): Promise<SavepointResult>;
}

/** A checkpoint as `GET /job` names it. */
export interface CheckpointRef {
  readonly id: number;
  readonly path: string;
}

/**
 * The job's life as its HTTP routes see it and act on it: its state, attempts and checkpoints (told by runJob and
 * its attempts), a savepoint the job goes on after, and a stop with a savepoint (the same as SIGTERM).
 */
export class JobControl {
  /** The process's id for this run of the job (the checkpoints' job id is `jobId`). */
  readonly id = randomUUID();
  readonly startedAt = Date.now();
  state: JobState = 'created';
  name: string | undefined;
  jobId: string | undefined;
  parallelism: number | undefined;
  /** 1 for the first attempt, one more after each restart. */
  attempt = 0;
  latestCheckpoint: (CheckpointRef & { readonly completedAt: number }) | undefined;
  restored: CheckpointRef | undefined;
  /** What the job's HTTP server serves, as `METHOD /path`. */
  routes: readonly string[] = [];
  /** Why the job is restarting or failed. */
  reason: string | undefined;
  private running: AttemptHandle | undefined;
  private savepointInProgress = false;
  private readonly stopRequest = new AbortController();
  private stopAnswer: { promise: Promise<SavepointResult>; resolve(result: SavepointResult): void; reject(error: Error): void } | undefined;

  /** Aborted by `stop()` or by `external` (SIGTERM): what the job's attempts watch. */
  stopSignal(external: AbortSignal | undefined): AbortSignal {
    const signal = external === undefined ? this.stopRequest.signal : AbortSignal.any([external, this.stopRequest.signal]);
    // A SIGTERM while the job module was still loading aborted it before anyone listened: no event comes for it.
    if (signal.aborted) this.stopping();
    else signal.addEventListener('abort', () => this.stopping(), { once: true });
    return signal;
  }

  attemptStarting(attempt: number): void {
    this.attempt = attempt;
    this.running = undefined;
    if (attempt > 1 && this.state !== 'stopping') this.state = 'restarting';
  }

  /** Every operator of the attempt is open and its checkpoints run. */
  attemptRunning(handle: AttemptHandle): void {
    this.running = handle;
    if (this.state === 'created' || this.state === 'restarting') this.state = 'running';
  }

  attemptFailed(reason: string): void {
    this.running = undefined;
    this.reason = reason;
    if (this.state !== 'stopping') this.state = 'restarting';
  }

  checkpointCompleted(checkpoint: CompletedCheckpoint): void {
    if (checkpoint.kind === 'checkpoint') this.latestCheckpoint = { id: checkpoint.checkpointId, path: checkpoint.path, completedAt: checkpoint.completedAt };
  }

  /** The stop's savepoint is complete (or there is none, and why): `stop()` answers with it. */
  stopped(savepoint: SavepointResult | undefined, reason: string | undefined): void {
    this.running = undefined;
    if (savepoint !== undefined) this.stopAnswer?.resolve(savepoint);
    else this.stopAnswer?.reject(new HttpError(409, `the job stopped without a savepoint: ${reason ?? 'unknown'}`));
  }

  /** The job is over: finished, stopped or failed for good. */
  ended(state: 'finished' | 'failed', reason?: string): void {
    this.running = undefined;
    this.state = state;
    if (reason !== undefined) this.reason = reason;
    this.stopAnswer?.reject(new HttpError(409, `the job ${state} before its savepoint${reason === undefined ? '' : `: ${reason}`}`));
  }

  /** `POST /job/savepoints`: a savepoint now, the job going on; 409 while another is taken or the job is not running. */
  async savepoint(): Promise<SavepointResult> {
    if (this.state !== 'running' || this.running === undefined) throw new HttpError(409, `the job is ${this.state}: a savepoint needs it running`);
    if (this.savepointInProgress) throw new HttpError(409, 'a savepoint is in progress: ask again once it is complete');
    this.savepointInProgress = true;
    try {
      return await this.running.savepoint();
    } catch (error) {
      if (error instanceof HttpError) throw error;
      // The checkpoint coordinator's own words: declined, timed out, the attempt ended.
      throw new HttpError(409, `the savepoint failed: ${(error as Error).message}`);
    } finally {
      this.savepointInProgress = false;
    }
  }

  /** `POST /job/stop`: stops the job with a savepoint, answered once it is complete; 409 when stopping or over. */
  async stop(): Promise<SavepointResult> {
    if (this.state === 'stopping' || this.stopAnswer !== undefined) throw new HttpError(409, 'the job is already stopping');
    if (this.state === 'finished' || this.state === 'failed') throw new HttpError(409, `the job is ${this.state}`);
    let resolve!: (result: SavepointResult) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<SavepointResult>((res, rej) => ((resolve = res), (reject = rej)));
    this.stopAnswer = { promise, resolve, reject };
    this.stopRequest.abort();
    return promise;
  }

  private stopping(): void {
    if (this.state !== 'finished' && this.state !== 'failed') this.state = 'stopping';
  }
}

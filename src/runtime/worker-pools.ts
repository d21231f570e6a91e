import { Piscina } from 'piscina';
import { describeError } from '../core/errors.ts';
import { createLogger } from '../observe/logger.ts';

const WORKER_URL = new URL('./worker/bootstrap.js', import.meta.url);

/**
 * The worker threads of the attempt that last finished cleanly in this process, kept for the next attempt that needs
 * as many: starting a thread (loading the job's module and weir in it, TypeScript through tsx) costs about a second of
 * CPU, and a process that runs many jobs (a test suite, weir/testing's checks) would pay it for every run.
 *
 * A kept thread is only handed to an attempt that would have started an identical one: same number of threads, same
 * environment variables as when the threads started (a thread's `process.env` is a copy made then, and fault injection
 * reads it). The threads of an attempt that failed, stopped, or whose subtasks did not all close cleanly are never
 * kept. A job module's top-level variables live on in a kept thread between runs, as they do on the main thread,
 * which imports it once.
 */

/** Threads taken for one attempt, with what they were started under. */
export interface WorkerPoolLease {
  readonly pool: Piscina;
  readonly workerCount: number;
  /** The thread count and environment variables the threads started with. */
  readonly key: string;
}

interface Kept {
  readonly lease: WorkerPoolLease;
  readonly onIdleError: (error: unknown) => void;
}

let kept: Kept | undefined;

function keyOf(workerCount: number): string {
  const environment = Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([workerCount, environment]);
}

function destroy(pool: Piscina): Promise<void> {
  return pool.destroy().catch(() => {
    // Threads that will not end cleanly are ended all the same; nothing of theirs is wanted.
  });
}

/** Threads for an attempt: the kept ones when they fit, else new ones (kept ones that do not fit are ended). */
export function takeWorkerPool(workerCount: number): WorkerPoolLease {
  const key = keyOf(workerCount);
  if (kept?.lease.key === key) {
    const { lease, onIdleError } = kept;
    kept = undefined;
    lease.pool.off('error', onIdleError);
    return lease;
  }
  void end(kept);
  kept = undefined;
  const pool = new Piscina({
    filename: WORKER_URL.href,
    minThreads: workerCount,
    maxThreads: workerCount,
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    // Subtasks live in the worker's event loop; Atomics.wait between tasks would stall their message ports.
    atomics: 'disabled',
  });
  return { pool, workerCount, key };
}

/**
 * Gives back the threads of an attempt that ended: kept for the next attempt when `clean` (every task returned and
 * closed its subtasks), ended otherwise. Idle threads do not keep the process alive (piscina unrefs them); one that
 * fails while kept (a timer the last run's code left behind) ends them all, instead of failing the process.
 */
export async function returnWorkerPool(lease: WorkerPoolLease, clean: boolean): Promise<void> {
  if (!clean || lease.pool.threads.length !== lease.workerCount) return destroy(lease.pool);
  const onIdleError = (error: unknown): void => {
    if (kept?.lease === lease) kept = undefined;
    createLogger().warn({ err: error }, `a worker thread kept from an earlier run failed while idle, and its threads were ended: ${describeError(error)}`);
    void destroy(lease.pool);
  };
  lease.pool.on('error', onIdleError);
  const previous = kept;
  kept = { lease, onIdleError };
  await end(previous);
}

/**
 * Ends the kept threads, so that the next attempt starts its own: benchmarks measure every run from cold threads,
 * as they did before threads were kept, and as the engines they are compared with start.
 */
export async function dropKeptWorkerPool(): Promise<void> {
  const previous = kept;
  kept = undefined;
  await end(previous);
}

/** Ends threads that were kept (their idle listener first: ending them is not a failure). */
async function end(entry: Kept | undefined): Promise<void> {
  if (entry === undefined) return;
  entry.lease.pool.off('error', entry.onIdleError);
  await destroy(entry.lease.pool);
}

import { Piscina } from 'piscina';

const WORKER_URL = new URL('./worker/bootstrap.js', import.meta.url);

/**
 * The worker threads of the attempt that last finished cleanly in this process, kept for the next attempt that needs
 * as many: starting a thread (loading the job's module and weir in it, TypeScript through tsx) costs about a second of
 * CPU, and a process that runs many jobs (a test suite, weir/testing's checks) would pay it for every run.
 *
 * A kept thread is only handed to an attempt that would have started an identical one: same number of threads, same
 * environment variables (a thread's `process.env` is a copy made when it starts, and fault injection reads it). A
 * thread that ran a failed or stopped attempt, or one that did not end its task, is never kept. A job module's
 * top-level variables live on in a kept thread between runs, as they do on the main thread, which imports it once.
 */
let kept: { readonly key: string; readonly pool: Piscina } | undefined;

function keyOf(workerCount: number): string {
  const environment = Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([workerCount, environment]);
}

/** A pool of `workerCount` worker threads: the kept one when it fits, else new ones (a kept pool that does not fit goes). */
export function takeWorkerPool(workerCount: number): Piscina {
  const key = keyOf(workerCount);
  const previous = kept;
  kept = undefined;
  if (previous?.key === key) return previous.pool;
  if (previous !== undefined) void previous.pool.destroy();
  return new Piscina({
    filename: WORKER_URL.href,
    minThreads: workerCount,
    maxThreads: workerCount,
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    // Subtasks live in the worker's event loop; Atomics.wait between tasks would stall their message ports.
    atomics: 'disabled',
  });
}

/**
 * Gives back the pool of an attempt that ended: kept for the next attempt when every thread finished its task
 * cleanly, destroyed otherwise. Idle threads do not keep the process alive (piscina unrefs them).
 */
export async function returnWorkerPool(pool: Piscina, workerCount: number, clean: boolean): Promise<void> {
  if (!clean || pool.threads.length !== workerCount) return pool.destroy();
  const previous = kept;
  kept = { key: keyOf(workerCount), pool };
  if (previous !== undefined && previous.pool !== pool) await previous.pool.destroy();
}

/**
 * Ends the kept threads, so that the next attempt starts its own: benchmarks measure every run from cold threads,
 * as they did before threads were kept, and as the engines they are compared with start.
 */
export async function dropKeptWorkerPool(): Promise<void> {
  const previous = kept;
  kept = undefined;
  await previous?.pool.destroy();
}

import type { JobResult, RunOptions } from './coordinator.ts';

/**
 * Plans a job on the main thread, runs it on worker threads, and waits until it finishes, fails for good, or stops.
 *
 * The coordinator (HTTP server, metrics, the worker pool, Kafka's cluster views) loads on the first call, not with
 * `weir`: every worker thread imports the job module, and with it `weir`, but never runs a job itself.
 */
export async function runJob(options: RunOptions): Promise<JobResult> {
  const coordinator = await import('./coordinator.ts');
  return coordinator.runJob(options);
}

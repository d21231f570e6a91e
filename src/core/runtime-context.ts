/** What every operator may ask about where it runs. */
export interface RuntimeContext {
  readonly jobName: string;
  readonly operatorName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** The worker thread running this subtask (worker_threads.threadId). */
  readonly threadId: number;
}

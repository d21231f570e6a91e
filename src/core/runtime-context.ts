/** What every operator may ask about where it runs. */
export interface RuntimeContext {
  readonly jobName: string;
  readonly operatorName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** The worker thread running this subtask (worker_threads.threadId). */
  readonly threadId: number;
  /**
   * Hands the job's process a connector's status of one kind (e.g. 'clusters'), replacing what this subtask last
   * reported of that kind; metrics and the job's HTTP routes serve it. Small objects, when they change (not per
   * record). Absent outside a running job.
   */
  readonly reportStatus?: (kind: string, status: unknown) => void;
}

/**
 * How the test kit feeds a job module and reads what it published: the job module takes its I/O from its params (the
 * same module runs in production), and a `TestIo` adapter writes a run's input, names those params, and reads back
 * the committed output.
 */

/** Faults only an I/O can cause (Kafka: restart the broker, take a whole cluster down for a while). */
export type IoFaultKind = 'broker-restart' | 'cluster-outage';

/** What the runner asks of an I/O for one run of the job (the failure-free run, or one under faults). */
export interface IoRunRequest<In> {
  /** The records the job reads, in order. */
  readonly input: readonly In[];
  /** A fresh directory of this run, the I/O's to use (input files, output directory, logs); removed after the run. */
  readonly directory: string;
  /** Names this run apart from the others of the same check ('failure-free', 'faulted'): topics, say, get it. */
  readonly runName: string;
  /** The job's parallelism, for I/O that splits its input (one file or partition per source subtask, say). */
  readonly parallelism: number;
}

/** One run's I/O, prepared: the params the job module gets, how to read what it published, and how to clean up. */
export interface IoRun<Out> {
  /** Merged into the job module's params (over the check's own `params`): where to read and where to write. */
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * The output the job committed (read_committed for Kafka), once no process of the run is left. An in-process I/O
   * gets what the job's CollectSinks collected, by sink name.
   */
  readOutput(collected?: ReadonlyMap<string, readonly unknown[]>): Promise<Out[]>;
  /**
   * Causes an I/O fault (one of the I/O's `faultKinds`) while the job is held at a protocol point; the job goes on
   * when this resolves, so it must return once the I/O is back (or the outage is over).
   */
  injectFault?(kind: IoFaultKind): Promise<void>;
  /** Removes what the run made outside its directory (topics, say); the runner removes the directory itself. */
  cleanup?(): Promise<void>;
}

/**
 * An I/O adapter for `checkExactlyOnce`: `filesIo()` (JSON-lines files in, the transactional file sink out),
 * `kafkaIo()` (topics on a real broker) and `memoryIo()` (records in the params, a CollectSink out, in-process).
 */
export interface TestIo<In = unknown, Out = unknown> {
  /** Shown in reports and errors ('files', 'kafka'). */
  readonly name: string;
  /** The I/O faults it can inject; `faultSchedules({ io })` generates only these (files: none). */
  readonly faultKinds: readonly IoFaultKind[];
  /**
   * The fault point its sink passes in the middle of publishing one checkpoint's output (some published, some not):
   * where the schedules' 'mid-publish' faults go ('' for none).
   */
  readonly midPublishPoint: string;
  /**
   * The job runs in the test's own process (`runJob`), not as `weir run` processes: only the faults that keep the
   * process (`throw`, `exit-thread`) and only at worker-thread points apply (`memoryIo()`).
   */
  readonly inProcess?: boolean;
  /** Writes the input of one run and names the job's params for it. */
  prepare(request: IoRunRequest<In>): Promise<IoRun<Out>>;
}

import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { Registry } from 'prom-client';
import type { CoordinatorToWorker, FailureReport, WorkerTask, WorkerToCoordinator } from './messages.ts';
import { buildJob } from '../api/job.ts';
import { loadJob, resolveJobPath } from './job-loader.ts';
import { planJob, type PhysicalPlan } from './planner.ts';
import { planDeployment, workerFor, type Deployment } from './deployment.ts';
import { StatsBoard } from './stats-board.ts';
import { JobFailedError, describeError } from './errors.ts';
import { createLogger, defaultLogLevel, type Logger } from '../observe/logger.ts';
import { registerJobMetrics } from '../observe/metrics.ts';
import { startMetricsServer } from '../observe/http-server.ts';

export interface RunOptions {
  /** Path of the job module (.ts or .js). */
  readonly jobModule: string;
  /** JSON value handed to the job's builder on the coordinator and in every worker. */
  readonly params?: unknown;
  /** Default parallelism for operators that set none. */
  readonly parallelism?: number;
  /** Worker threads; default one per core, never more than the job's highest parallelism. */
  readonly threads?: number;
  /** Serve Prometheus metrics at http://127.0.0.1:<port>/metrics while the job runs. */
  readonly metricsPort?: number;
  readonly logLevel?: string;
  /** Parent directory of the run's working state (LMDB files); the system temp directory by default. */
  readonly stateDir?: string;
}

export interface OperatorStats {
  readonly operator: string;
  readonly operatorId: string;
  readonly subtask: number;
  /** The worker thread that ran this subtask. */
  readonly threadId: number;
  readonly recordsIn: number;
  readonly recordsOut: number;
  /** Late records dropped for want of a side output (windows, interval joins). */
  readonly lateRecordsDropped: number;
}

export interface JobResult {
  readonly jobName: string;
  /** From the call until the job finished, start-up of workers included. */
  readonly durationMs: number;
  /** From the moment every worker had opened its operators until the job finished: what throughput is measured on. */
  readonly runningMs: number;
  /** Records received by each CollectSink, by sink name, in arrival order. */
  readonly outputs: ReadonlyMap<string, unknown[]>;
  /** Sum over channels of the most records each held in flight at once: an upper bound on what was buffered. */
  readonly maxInFlightRecords: number;
  readonly operators: readonly OperatorStats[];
  readonly plan: PhysicalPlan;
}

const CANCEL_GRACE_MS = 5_000;
const WORKER_URL = new URL('./worker/bootstrap.js', import.meta.url);

/** Plans a job on the main thread, runs it on worker threads, and waits until it finishes or fails. */
export async function runJob(options: RunOptions): Promise<JobResult> {
  const started = performance.now();
  const jobModule = resolveJobPath(options.jobModule);
  const logLevel = options.logLevel ?? defaultLogLevel();
  const job = await loadJob(jobModule);
  const defaultParallelism = options.parallelism ?? 1;
  const plan = planJob(buildJob(job, options.params), { defaultParallelism });
  const threads = options.threads ?? availableParallelism();
  const deployment = planDeployment(plan, threads);
  const stats = new StatsBoard(plan, deployment);
  const log = createLogger(logLevel, { job: job.name });
  // Working keyed state of this run; checkpoints (not this directory) are what survives a run.
  const stateDir = await mkdtemp(join(options.stateDir ?? tmpdir(), `weir-${job.name.replace(/[^A-Za-z0-9_.-]+/g, '_')}-`));
  const registry = new Registry();
  registerJobMetrics(registry, job.name, plan, deployment, stats);
  const server = options.metricsPort === undefined ? undefined : await startMetricsServer(registry, options.metricsPort);
  log.info({ vertices: plan.vertices.length, workers: deployment.workerCount, parallelism: defaultParallelism }, 'job starting');

  const pool = new Piscina({
    filename: WORKER_URL.href,
    minThreads: deployment.workerCount,
    maxThreads: deployment.workerCount,
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    // Subtasks live in the worker's event loop; Atomics.wait between tasks would stall their message ports.
    atomics: 'disabled',
  });
  const outputs = new Map<string, unknown[]>();
  let workersStarted = 0;
  const workerThreadIds: number[] = [];
  let runningSince: number | undefined;
  const controls: MessagePort[] = [];
  let failure: FailureReport | undefined;
  let cancelled!: () => void;
  /** Resolves a grace period after a failure, so one stuck worker cannot keep a failed job alive. */
  const cancelGraceOver = new Promise<void>((resolve) => {
    cancelled = () => setTimeout(resolve, CANCEL_GRACE_MS).unref();
  });
  const fail = (report: FailureReport): void => {
    if (failure !== undefined) return;
    failure = report;
    cancelled();
    log.error({ operator: report.operator, stack: report.stack }, report.message);
    const cancel: CoordinatorToWorker = { type: 'cancel' };
    for (const control of controls) control.postMessage(cancel);
  };

  try {
    const portsByWorker = remotePorts(deployment);
    const tasks = Array.from({ length: deployment.workerCount }, (_, worker) => {
      const control = new MessageChannel();
      controls.push(control.port1);
      const finished = new Promise<void>((resolve) => {
        control.port1.on('message', (message: WorkerToCoordinator) => {
          if (message.type === 'collect') appendOutput(outputs, message.sink, message.records);
          else if (message.type === 'failed') fail(message.failure);
          else if (message.type === 'started') {
            workerThreadIds[worker] = message.threadId;
            if (++workersStarted === deployment.workerCount) runningSince = performance.now();
          } else resolve();
        });
        control.port1.on('close', resolve);
      });
      const ports = portsByWorker[worker]!;
      const task: WorkerTask = {
        workerIndex: worker,
        jobModule,
        params: options.params,
        defaultParallelism,
        threads,
        fingerprint: plan.fingerprint,
        stats: stats.buffer,
        control: control.port2,
        ports,
        logLevel,
        stateDir,
      };
      const run = pool.run(task, { transferList: [control.port2, ...Object.values(ports)] }).catch((error: unknown) => {
        fail({ message: `worker thread ${worker} died: ${describeError(error)}`, operator: undefined, stack: undefined });
      });
      return Promise.all([run, finished]);
    });
    await Promise.race([Promise.all(tasks), cancelGraceOver]);
  } finally {
    for (const control of controls) control.close();
    await pool.destroy();
    await server?.close();
    await rm(stateDir, { recursive: true, force: true });
  }
  if (failure !== undefined) throw new JobFailedError(`job '${job.name}' failed: ${failure.message}`);

  const finished = performance.now();
  const durationMs = finished - started;
  log.info({ durationMs: Math.round(durationMs) }, 'job finished');
  const operators = operatorStats(plan, deployment, stats, workerThreadIds);
  warnAboutDroppedLateRecords(log, operators);
  return {
    jobName: job.name,
    durationMs,
    runningMs: finished - (runningSince ?? started),
    outputs,
    maxInFlightRecords: deployment.channels.reduce((sum, spec) => sum + stats.maxInFlightRecords(spec.slot), 0),
    operators,
    plan,
  };
}

/** Late records without a side output are dropped as in Flink, but never silently: the metric counts them and this says so. */
function warnAboutDroppedLateRecords(log: Logger, operators: readonly OperatorStats[]): void {
  const byOperator = new Map<string, number>();
  for (const { operator, lateRecordsDropped } of operators) {
    if (lateRecordsDropped > 0) byOperator.set(operator, (byOperator.get(operator) ?? 0) + lateRecordsDropped);
  }
  for (const [operator, dropped] of byOperator) {
    log.warn({ operator, lateRecordsDropped: dropped }, `operator '${operator}' dropped ${dropped} late records: give it sideOutputLateData() to keep them`);
  }
}

function appendOutput(outputs: Map<string, unknown[]>, sink: string, records: unknown[]): void {
  const existing = outputs.get(sink);
  if (existing === undefined) outputs.set(sink, records);
  else for (const record of records) existing.push(record);
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

function operatorStats(plan: PhysicalPlan, deployment: Deployment, stats: StatsBoard, threadIds: number[]): OperatorStats[] {
  const result: OperatorStats[] = [];
  for (const node of plan.nodes.values()) {
    for (let subtask = 0; subtask < node.parallelism; subtask++) {
      const slot = stats.nodeSlot(node.nodeId, subtask);
      result.push({
        operator: node.name,
        operatorId: node.operatorId,
        subtask,
        threadId: threadIds[workerFor(subtask, deployment.workerCount)] ?? -1,
        recordsIn: stats.recordsIn(slot),
        recordsOut: stats.recordsOut(slot),
        lateRecordsDropped: stats.lateRecordsDropped(slot),
      });
    }
  }
  return result;
}

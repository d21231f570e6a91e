import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Registry } from 'prom-client';
import { buildJob } from '../api/job.ts';
import { DEFAULT_RESTART_STRATEGY, type StreamExecutionEnvironment } from '../api/environment.ts';
import { runAttempt, type AttemptOutcome } from './job-attempt.ts';
import { RestartStrategy } from '../api/restart-strategy.ts';
import { sleep } from '../core/signal.ts';
import { fileNamePart, timeOrderedId } from '../core/file-names.ts';
import type { CheckpointStorage } from '../checkpoint/storage.ts';
import { latestRestorable, checkRestoreFits } from '../checkpoint/restore-point.ts';
import { LocalCheckpointStorage, newInstanceId } from '../checkpoint/local-storage.ts';
import { restorePointOf, storageAt, type CheckpointTarget, type RestorePoint } from '../checkpoint/snapshot-state.ts';
import { loadJob, resolveJobPath } from './job-loader.ts';
import { planJob, type PhysicalPlan } from './planner.ts';
import { planDeployment } from './deployment.ts';
import { StatsBoard } from './stats-board.ts';
import { operatorStats, warnAboutDroppedLateRecords } from './job-stats.ts';
import { JobDefinitionError, JobFailedError, WeirError, describeError } from '../core/errors.ts';
import { hasCode, reviveError } from '../core/serialized-error.ts';
import { createLogger, defaultLogLevel, prettyLogs, type Logger } from '../observe/logger.ts';
import { startProgressLine } from './progress-line.ts';
import { isatty } from 'node:tty';
import { registerChannelMetrics } from './job-metrics.ts';
import { DEFAULT_HTTP_HOST, startJobServer, type JobServer } from '../observe/http-server.ts';
import { CollectedOutputs } from './collected-outputs.ts';
import { JobStatus } from './job-status.ts';
import { JobObservations } from './observations.ts';
import { jobRoutes } from './job-routes.ts';
import { healthSettingsOf } from './health/health-settings.ts';
import { JobControl } from './job-control.ts';
import { continuingEarlierRunError, earlierRunTraces } from './fresh-start.ts';
import type { Source } from '../connectors/source.ts';

export interface RunOptions {
  /** Path of the job module (.ts or .js). */
  readonly jobModule: string;
  /** JSON value handed to the job's builder on the coordinator and in every worker. */
  readonly params?: unknown;
  /** Default parallelism for operators that set none. */
  readonly parallelism?: number;
  /** Worker threads; default one per core, never more than the job's highest parallelism. */
  readonly threads?: number;
  /**
   * Serve the job's HTTP API (docs/operations.md: its state, savepoints, stop, probes, Prometheus metrics at /metrics)
   * at http://<httpHost>:<port> while the job runs (0: a free port, logged).
   */
  readonly httpPort?: number;
  /** The address the job's HTTP server listens on: 127.0.0.1 by default, 0.0.0.0 to be reachable from outside a container. */
  readonly httpHost?: string;
  /** The same as `httpPort` (its earlier name); both given, they must agree. */
  readonly metricsPort?: number;
  /** The same as `httpHost` (its earlier name); both given, they must agree. */
  readonly metricsHost?: string;
  readonly logLevel?: string;
  /** Parent directory of the run's working state (LMDB files); the system temp directory by default. */
  readonly stateDir?: string;
  /**
   * Checkpoints survive the run here, under `jobId`: a run with the same directory and job id restores the latest
   * completed checkpoint (after a killed process, say). Without it, checkpoints serve restarts within the run only.
   */
  readonly checkpointDir?: string;
  /**
   * Names the job's checkpoints and output. By default the job's name when there is a checkpoint directory (so that a
   * start after a kill restores), else the name and the time (a run on temporary checkpoints continues nothing).
   */
  readonly jobId?: string;
  /** A savepoint (`<dir>/<jobId>/chk-<id>`) to start from when the job id has no checkpoint of its own yet. */
  readonly fromSavepoint?: string;
  /** Start even when operators with state in the restored checkpoint are gone from the job (their state is dropped). */
  readonly allowNonRestoredState?: boolean;
  /**
   * Start with empty state although an earlier run left traces: the checkpoint directory records completed
   * checkpoints of this job id and none is intact, or a source would start from offsets that the earlier run's
   * checkpoints committed (a Kafka group's). Without it such a start is refused: its sources would start over beside
   * output already published, or go on with none of the state built before.
   */
  readonly allowFreshStart?: boolean;
  /** Where savepoints go without a checkpoint directory; `./weir-savepoints` by default. */
  readonly savepointDir?: string;
  /** When aborted, the job takes a savepoint and stops (what the CLI does on SIGTERM). */
  readonly stopWithSavepoint?: AbortSignal;
  /**
   * Draws a progress line on stderr while a bounded job runs (records read, rate, ETA), when stderr is a terminal and
   * the logs are for a person (see docs/operations.md); never into collected logs. `weir run` asks for it.
   */
  readonly progress?: boolean;
  /** One-line news a command line prints: what the start restores, where metrics are served. Also logged. */
  readonly onStatus?: (line: string) => void;
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
  /** The id its checkpoints are kept under. */
  readonly jobId: string;
  /** Attempts that failed and were restarted from a checkpoint. */
  readonly restarts: number;
  /** Present when the job stopped on request: the savepoint it took, or why it could not. */
  readonly stopped?: { readonly savepoint: string | undefined; readonly reason: string | undefined };
  /** From the call until the job finished, start-up of workers included. */
  readonly durationMs: number;
  /** From the moment every worker had opened its operators until the job finished: what throughput is measured on. */
  readonly runningMs: number;
  /**
   * Records received by each CollectSink, by sink name, in arrival order: what the job's successful chain of attempts
   * published (a restart drops what arrived after the checkpoint it restores, since it sends that again).
   */
  readonly outputs: ReadonlyMap<string, unknown[]>;
  /** Sum over channels of the most records each held in flight at once: an upper bound on what was buffered. */
  readonly maxInFlightRecords: number;
  readonly operators: readonly OperatorStats[];
  /** @internal The physical plan the job ran (vertices, chains, edges), for weir's own tests. */
  readonly plan: PhysicalPlan;
}

/** Plans a job on the main thread, runs it on worker threads, and waits until it finishes, fails for good, or stops. */
export async function runJob(options: RunOptions): Promise<JobResult> {
  const started = performance.now();
  const jobModule = resolveJobPath(options.jobModule);
  // Mistakes of the command line fail before the job loads (seconds for a large one), and nothing opened stays open.
  if (options.checkpointDir !== undefined) await makeCheckpointDirectory(options.checkpointDir);
  const port = sameIfBoth('httpPort', options.httpPort, 'metricsPort', options.metricsPort);
  const host = sameIfBoth('httpHost', options.httpHost, 'metricsHost', options.metricsHost);
  const registry = new Registry();
  const jobStatus = new JobStatus();
  const observations = new JobObservations(jobStatus);
  const control = new JobControl();
  const routes = jobRoutes(registry, jobStatus, observations, control);
  const server = port === undefined ? undefined : await startJobServer(registry, port, host ?? DEFAULT_HTTP_HOST, routes);
  if (server !== undefined) control.routes = server.routes;
  try {
    return await runLoadedJob(options, jobModule, registry, observations, control, server, started);
  } catch (error) {
    control.ended('failed', describeError(error));
    throw error;
  } finally {
    observations.close();
    await server?.close();
  }
}

async function runLoadedJob(
  options: RunOptions,
  jobModule: string,
  registry: Registry,
  observations: JobObservations,
  control: JobControl,
  server: JobServer | undefined,
  started: number,
): Promise<JobResult> {
  const logLevel = options.logLevel ?? defaultLogLevel();
  const job = await loadJob(jobModule);
  const defaultParallelism = options.parallelism ?? 1;
  const env = buildJob(job, options.params);
  const plan = planJob(env, { defaultParallelism });
  const threads = options.threads ?? availableParallelism();
  const deployment = planDeployment(plan, threads);
  const stats = new StatsBoard(plan, deployment);
  const log = createLogger(logLevel, { job: job.name });
  const status = (line: string, fields: Record<string, unknown>): void => {
    log.info(fields, line);
    options.onStatus?.(line);
  };
  const jobStatus = observations.status;
  jobStatus.describe(job.name, plan);
  if (server !== undefined) {
    status(`HTTP API at ${server.baseUrl} (GET /job; docs/operations.md)`, { port: server.port, host: server.host, routes: server.routes });
    status(`dashboard at ${server.baseUrl}/`, { port: server.port, host: server.host });
    status(`metrics at ${server.url}`, { port: server.port, host: server.host });
  }
  const storage = openCheckpointStorage(options, job.name);
  observations.describe(job.name, storage.jobId, plan, stats);
  registerChannelMetrics(registry, job.name, plan, deployment, stats);
  Object.assign(control, { name: job.name, jobId: storage.jobId, parallelism: defaultParallelism });
  const stopSignal = control.stopSignal(options.stopWithSavepoint);
  log.info({ vertices: plan.vertices.length, workers: deployment.workerCount, parallelism: defaultParallelism, jobId: storage.jobId }, 'job starting');

  const outputs = new CollectedOutputs();
  const restartConfig = env.restartStrategy ?? (env.checkpointing === undefined ? { kind: 'none' as const } : DEFAULT_RESTART_STRATEGY);
  const restartStrategy = new RestartStrategy(restartConfig);
  observations.settings = healthSettingsOf(env, restartConfig);
  // One id per process start, for checkpoint files and sink files alike; it sorts by start time (the sinks rely on it).
  const instanceId = storage.instance;
  let outcome: AttemptOutcome;
  const drawsProgress = options.progress === true && isatty(2) && prettyLogs();
  const stopProgress = drawsProgress ? startProgressLine(plan, stats, sourcesOf(env)) : () => {};
  try {
    let restore = await startingPoint(options, storage, plan, sourcesOf(env).map(({ source }) => source), log, status);
    // Only now, with its restore loaded and checked, does this instance take the job over: a newcomer refused above
    // leaves a running instance alone. Before its first state file: the running one stops at its next checkpoint.
    await storage.takeOver();
    // The instance replaced may have completed a checkpoint between the load above and the claim (none after it).
    restore = await newerAfterTakeOver(restore, options, storage, plan, log);
    // What this instance has seen complete (damaged checkpoints included): only a checkpoint after it is news.
    const seenAtTakeOver = storage.owner === undefined ? 0 : ((await storage.checkpoints.completed())[0] ?? 0);
    // A restore continues the run it restores, so that the names of its output stay the same.
    const runId = restore?.state.runId ?? timeOrderedId();
    // Another instance may be writing higher ids right now: a margin keeps the two sequences apart.
    const found = await highestUsedId(storage);
    let lastCheckpointId = Math.max(restore?.checkpointId ?? 0, found > 0 ? found + CHECKPOINT_ID_MARGIN : 0);
    if (restore !== undefined) control.restored = { id: restore.checkpointId, path: restorePath(restore) };
    for (let attempt = 1; ; attempt++) {
      control.attemptStarting(attempt);
      // After a restart, this instance's own checkpoints (up to its last id) are no news either.
      const seen = attempt === 1 ? seenAtTakeOver : Math.max(seenAtTakeOver, lastCheckpointId);
      if (restore !== undefined) observations.checkpoints.restored({ checkpointId: restore.checkpointId, kind: restore.target.savepointDir === undefined ? 'checkpoint' : 'savepoint', path: restorePath(restore), restoredAt: Date.now() });
      outcome = await runAttempt({
        jobName: job.name,
        runId,
        instanceId,
        jobModule,
        params: options.params,
        defaultParallelism,
        threads,
        logLevel,
        plan,
        deployment,
        stats,
        log,
        stateParent: options.stateDir ?? tmpdir(),
        checkpointing: env.checkpointing,
        // File names carry the instance and attempt: no two writers ever share one.
        checkpoints: { ...storage.target, writer: `${storage.instance}.${attempt}` },
        checkpointOwner: storage.owner,
        checkRestorePoint: storage.owner === undefined ? undefined : () => checkStillNewest(restore, seen, storage),
        savepoints: { ...storage.savepoints, writer: `${storage.instance}.${attempt}` },
        intermediateSavepoints: { ...storage.intermediateSavepoints, writer: `${storage.instance}.${attempt}` },
        restore,
        lastCheckpointId,
        stop: stopSignal,
        outputs,
        status: jobStatus,
        checkpointHistory: observations.checkpoints,
        control,
      });
      if (outcome.kind !== 'failed') break;
      control.attemptFailed(outcome.failure.message);
      const decision = restartStrategy.onFailure(Date.now());
      if (!decision.restart || outcome.failure.fatal === true) {
        const { error, fatal } = outcome.failure;
        const cause = error === undefined ? undefined : reviveError(error);
        throw new JobFailedError(`job '${job.name}' failed: ${outcome.failure.message}`, { cause, fatal: fatal === true });
      }
      // Two instances fencing each other's Kafka transactional ids must not both stop: the checkpoint claim decides.
      // Without one (no checkpoint directory) the instance fenced gives way; its owner restarts and takes its ids back.
      if (hasCode(outcome.failure.error, 'WEIR_FENCED') && storage.owner === undefined) {
        const cause = outcome.failure.error === undefined ? undefined : reviveError(outcome.failure.error);
        throw new JobFailedError(`job '${job.name}' failed: ${outcome.failure.message}: this instance stops, the other goes on`, { cause });
      }
      // A replaced instance does not restart: its attempt would clear and rewrite what the new owner's sinks hold.
      if (storage.owner !== undefined && (await storage.checkpoints.owner()) !== storage.owner) {
        throw new JobFailedError(
          `job '${job.name}' failed: ${outcome.failure.message}; another instance of job '${storage.jobId}' took over its checkpoints in ${storage.target.root}, so this one stops instead of restarting`,
        );
      }
      observations.restarted(outcome.failure.message);
      // Another instance of this job id may have written checkpoints meanwhile: ids go on after every one of them.
      lastCheckpointId = Math.max(outcome.lastCheckpointId, await highestUsedId(storage));
      log.warn({ delayMs: decision.delayMs, restarts: observations.restarts }, `restarting after: ${outcome.failure.message}`);
      await sleep(decision.delayMs);
      restore = (await latestCheckpoint(storage, log)) ?? restore;
      if (restore !== undefined) control.restored = { id: restore.checkpointId, path: restorePath(restore) };
      outputs.rollBackTo(restore?.checkpointId ?? 0);
      if (stopSignal.aborted) {
        outcome = { kind: 'stopped', savepoint: undefined, reason: 'stopped while restarting', lastCheckpointId, runningSince: undefined, threadIds: [] };
        control.stopped(undefined, outcome.reason);
        break;
      }
    }
  } finally {
    stopProgress();
    await storage.dispose();
  }

  control.ended('finished');
  const finished = performance.now();
  const durationMs = finished - started;
  log.info({ durationMs: Math.round(durationMs), restarts: observations.restarts }, outcome.kind === 'stopped' ? 'job stopped' : 'job finished');
  const operators = operatorStats(plan, deployment, stats, outcome.threadIds);
  warnAboutDroppedLateRecords(log, operators);
  return {
    jobName: job.name,
    jobId: storage.jobId,
    durationMs,
    runningMs: finished - (outcome.runningSince ?? started),
    outputs: outputs.toMap(),
    maxInFlightRecords: deployment.channels.reduce((sum, spec) => sum + stats.maxInFlightRecords(spec.slot), 0),
    operators,
    plan,
    restarts: observations.restarts,
    ...(outcome.kind === 'stopped' ? { stopped: { savepoint: outcome.savepoint?.path, reason: outcome.reason } } : {}),
  };
}

/** Checkpoint ids of a new instance start this far above the highest id found (see runJob). */
const CHECKPOINT_ID_MARGIN = 100;

interface RunStorage {
  readonly jobId: string;
  readonly target: CheckpointTarget;
  readonly savepoints: CheckpointTarget;
  /** Savepoints the job goes on after: inside the job's directory, out of its checkpoints' retention. */
  readonly intermediateSavepoints: CheckpointTarget;
  readonly checkpoints: CheckpointStorage;
  /** Random per run: with the attempt, it names the writer of every file this run writes. */
  readonly instance: string;
  /** This run's claim on the checkpoints; undefined for a temporary directory nobody shares. */
  readonly owner: string | undefined;
  /** Claims the checkpoints (the running instance, if any, stops at its next one) and clears what can never complete. */
  takeOver(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * The highest checkpoint id used under the job id: savepoints taken while the job runs share the checkpoints' ids, and
 * a new id that one of them holds could not be reserved (a start after a crash would count from its checkpoints alone).
 */
async function highestUsedId(storage: RunStorage): Promise<number> {
  return Math.max(await storage.checkpoints.highestId(), await storageAt(storage.intermediateSavepoints).highestId());
}

/**
 * Where this run keeps checkpoints: the given directory and job id, or a temporary one for restarts within the run.
 * Opening writes nothing: a run refused before it takes the job over (see runJob) leaves the directory as it was.
 */
function openCheckpointStorage(options: RunOptions, jobName: string): RunStorage {
  const persistent = options.checkpointDir !== undefined;
  // With a checkpoint directory, the job's name: a start after a kill finds the checkpoints of the one before.
  const jobId = options.jobId ?? (persistent ? fileNamePart(jobName) : `${fileNamePart(jobName)}-${Date.now()}`);
  const root = persistent ? resolve(options.checkpointDir!) : join(options.stateDir ?? tmpdir(), `weir-checkpoints-${randomUUID()}`);
  const target = { root, jobId };
  const savepoints = persistent ? target : { root: resolve(options.savepointDir ?? 'weir-savepoints'), jobId };
  const checkpoints = storageAt(target);
  const instance = newInstanceId();
  const owner = persistent ? instance : undefined;
  return {
    jobId,
    target,
    savepoints,
    intermediateSavepoints: persistent ? { root: join(root, jobId), jobId: 'savepoints' } : savepoints,
    checkpoints,
    instance,
    owner,
    takeOver: async () => {
      if (owner === undefined) return;
      await checkpoints.claim(owner);
      await checkpoints.removeAbandoned();
    },
    dispose: async () => {
      if (!persistent) await rm(root, { recursive: true, force: true });
    },
  };
}

/** Where a restore point's metadata is: a savepoint's own directory, or the checkpoint's in its job's directory. */
function restorePath(restore: RestorePoint): string {
  return restore.target.savepointDir ?? join(restore.target.root, restore.target.jobId, `chk-${restore.checkpointId}`);
}

/** An option under its two names: either, or both when they agree. */
function sameIfBoth<T>(name: string, value: T | undefined, alias: string, aliasValue: T | undefined): T | undefined {
  if (value !== undefined && aliasValue !== undefined && value !== aliasValue) {
    throw new JobDefinitionError(`${name} (${String(value)}) and ${alias} (${String(aliasValue)}) are one option under two names and disagree: give one`);
  }
  return value ?? aliasValue;
}

/** The checkpoint directory, made if missing; a path that cannot be one (a regular file, say) fails in one line. */
async function makeCheckpointDirectory(directory: string): Promise<void> {
  try {
    await mkdir(resolve(directory), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EEXIST' || code === 'ENOTDIR' ? 'it is a file, not a directory' : describeError(error);
    throw new JobDefinitionError(`cannot keep checkpoints in ${directory}: ${reason}`, { cause: error });
  }
}

/** The newest intact checkpoint of this job id, skipping damaged ones with a warning. */
async function latestCheckpoint(storage: RunStorage, log: Logger): Promise<RestorePoint | undefined> {
  const metadata = await latestRestorable(storage.checkpoints, (checkpointId, reason) =>
    log.warn({ checkpointId, reason }, `skipping damaged checkpoint ${checkpointId}: ${reason}`),
  );
  return metadata === undefined ? undefined : restorePointOf(storage.target, metadata);
}

/**
 * What the first attempt restores: this job id's latest checkpoint (a restarted process goes on where it was killed,
 * even when it was first started from a savepoint), else the savepoint asked for, else nothing. Nothing is refused
 * when the directory records completed checkpoints of this job id and none is intact: a fresh start would replay its
 * sources from the beginning (or from offsets those checkpoints committed) beside output already published.
 */
async function startingPoint(
  options: RunOptions,
  storage: RunStorage,
  plan: PhysicalPlan,
  sources: readonly Source<unknown>[],
  log: Logger,
  status: (line: string, fields: Record<string, unknown>) => void,
): Promise<RestorePoint | undefined> {
  let own = await latestCheckpoint(storage, log);
  let restore = own ?? (options.fromSavepoint === undefined ? undefined : await readSavepoint(options.fromSavepoint));
  if (restore === undefined && options.allowFreshStart !== true && (await storage.checkpoints.everCompleted())) {
    const dir = join(storage.target.root, storage.target.jobId);
    throw new JobDefinitionError(
      `job '${storage.jobId}' has completed checkpoints recorded in ${dir} but none of them is intact: restore from a savepoint ` +
        `(--from-savepoint DIR), or start with empty state (--allow-fresh-start; its sources start over and its output may repeat)`,
    );
  }
  if (restore === undefined && options.allowFreshStart !== true) {
    const traces = await earlierRunTraces(storage.jobId, sources);
    // Another instance of the job may have completed its first checkpoint (and committed offsets) since the look
    // above: then this start restores it, as any later start would.
    if (traces.length > 0) own = restore = await latestCheckpoint(storage, log);
    if (restore === undefined && traces.length > 0) {
      const where = options.checkpointDir === undefined ? 'no --checkpoint-dir' : `no checkpoint of job ${storage.jobId} in ${storage.target.root}`;
      throw continuingEarlierRunError(storage.jobId, where, traces);
    }
  }
  if (restore !== undefined) checkRestoreFits(plan, restore.state, options.allowNonRestoredState ?? false);
  // Every start says what it starts from, so that a restart that restores nothing is never silent.
  const { jobId, target } = storage;
  const fields = { jobId, checkpointDir: target.root, checkpointId: restore?.checkpointId };
  if (own !== undefined) status(`restoring checkpoint ${own.checkpointId} of job ${jobId} from ${target.root}`, fields);
  else if (restore !== undefined) status(`no checkpoint for job ${jobId} in ${target.root}: starting from savepoint ${restore.checkpointId} at ${options.fromSavepoint}`, fields);
  else if (options.checkpointDir !== undefined) status(`no checkpoint for job ${jobId} in ${target.root}: starting fresh`, fields);
  else log.info(fields, `no checkpoint for job ${jobId}: starting fresh (checkpoints are temporary without a checkpoint directory)`);
  return restore;
}

function sourcesOf(env: StreamExecutionEnvironment): { nodeId: number; source: Source<unknown> }[] {
  return env.graph.nodes.flatMap((node) => (node.kind === 'source' ? [{ nodeId: node.id, source: node.source }] : []));
}

/** The newest checkpoint once this instance owns the job, when it is newer than the one loaded before. */
async function newerAfterTakeOver(
  loaded: RestorePoint | undefined,
  options: RunOptions,
  storage: RunStorage,
  plan: PhysicalPlan,
  log: Logger,
): Promise<RestorePoint | undefined> {
  if (storage.owner === undefined) return loaded;
  const newestId = (await storage.checkpoints.completed())[0];
  if (newestId === undefined) return loaded;
  // This job id's own checkpoints come before a savepoint (see startingPoint).
  if (loaded !== undefined && loaded.target.savepointDir === undefined && newestId <= loaded.checkpointId) return loaded;
  const newest = await latestCheckpoint(storage, log);
  if (newest === undefined || (loaded !== undefined && loaded.target.savepointDir === undefined && newest.checkpointId <= loaded.checkpointId)) return loaded;
  checkRestoreFits(plan, newest.state, options.allowNonRestoredState ?? false);
  log.info({ checkpointId: newest.checkpointId }, `restoring checkpoint ${newest.checkpointId} instead, completed by the instance replaced while this one started`);
  return newest;
}

/**
 * An instance replaced while this one started may complete one more checkpoint (and publish its output) after this
 * one's claim and its look for newer checkpoints: going on from the older restore point would repeat that output.
 * Seconds later, with every operator open, such a checkpoint is visible: the attempt fails and its restart restores it.
 */
async function checkStillNewest(restore: RestorePoint | undefined, seen: number, storage: RunStorage): Promise<void> {
  const newestId = (await storage.checkpoints.completed())[0];
  if (newestId === undefined) return;
  // A savepoint is restored only when the job id had no checkpoint of its own (see startingPoint).
  const restoredId = restore === undefined || restore.target.savepointDir !== undefined ? 0 : restore.checkpointId;
  if (newestId > Math.max(restoredId, seen)) {
    throw new WeirError(
      `checkpoint ${newestId} of job '${storage.jobId}' was completed by another instance after this one loaded ` +
        `${restoredId === 0 ? 'its starting point' : `checkpoint ${restoredId}`}: restarting from it`,
      { retriable: true },
    );
  }
}

/**
 * A savepoint is the directory the stopping run printed (`<root>/<jobId>/chk-<id>`), or a copy of it anywhere under
 * any name: it holds its own state files.
 */
async function readSavepoint(path: string): Promise<RestorePoint> {
  const absolute = resolve(path);
  const target = { root: dirname(absolute), jobId: basename(absolute), savepointDir: absolute };
  try {
    const metadata = await LocalCheckpointStorage.savepoint(absolute).verify(0);
    return restorePointOf(target, metadata);
  } catch (error) {
    throw new JobDefinitionError(`cannot restore savepoint ${path}: ${describeError(error)}`, { cause: error });
  }
}

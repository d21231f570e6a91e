import { jsonAnswer, type Route } from '../../observe/http-server.ts';
import type { JobControl, JobState } from '../job-control.ts';
import type { JobHealth } from '../health/job-health.ts';
import type { JobObservations } from '../observations.ts';

/** The answer of `GET /job` (docs/operations.md). */
export interface JobView {
  /** This run's id (one per process start). */
  readonly id: string;
  /** The job's name; undefined until its module is loaded. */
  readonly name: string | undefined;
  /** The id its checkpoints are kept under. */
  readonly jobId: string | undefined;
  readonly state: JobState;
  /** Why it is restarting or failed, when it is. */
  readonly reason?: string;
  /** ISO time of the process's start. */
  readonly startedAt: string;
  readonly uptimeMs: number;
  readonly attempt: number;
  readonly restarts: number;
  /** The default parallelism of its operators. */
  readonly parallelism: number | undefined;
  readonly checkpoints: {
    readonly latestCompleted: { readonly id: number; readonly path: string; readonly completedAt: string } | null;
    readonly restored: { readonly id: number; readonly path: string } | null;
  };
  /** The health score, 0-100 (its components: `GET /job/health`). */
  readonly health: number;
  /** Every route the server answers, as `METHOD /path`. */
  readonly routes: readonly string[];
}

/** `GET /job`: the job's state, attempts and checkpoints, and the routes its server serves. */
export function jobRoute(control: JobControl, observations: JobObservations, health: JobHealth): Route {
  return {
    method: 'GET',
    path: '/job',
    description: 'the job: id, name, state, uptime, attempt, restarts, parallelism, latest and restored checkpoint, health score, routes',
    answer: () => jsonAnswer(jobView(control, observations.restarts, health)),
  };
}

function jobView(control: JobControl, restarts: number, health: JobHealth): JobView {
  const latest = control.latestCheckpoint;
  const failing = control.state === 'restarting' || control.state === 'failed';
  return {
    id: control.id,
    name: control.name,
    jobId: control.jobId,
    state: control.state,
    ...(failing && control.reason !== undefined ? { reason: control.reason } : {}),
    startedAt: new Date(control.startedAt).toISOString(),
    uptimeMs: Date.now() - control.startedAt,
    attempt: control.attempt,
    restarts,
    parallelism: control.parallelism,
    checkpoints: {
      latestCompleted: latest === undefined ? null : { id: latest.id, path: latest.path, completedAt: new Date(latest.completedAt).toISOString() },
      restored: control.restored ?? null,
    },
    health: health.report().score,
    routes: control.routes,
  };
}

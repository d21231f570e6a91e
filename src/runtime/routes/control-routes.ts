import type { IncomingMessage } from 'node:http';
import { HttpError, jsonAnswer, readJsonBody, type Route } from '../../observe/http-server.ts';
import type { JobControl, JobState } from '../job-control.ts';

/** Why a job that is not running is not ready, by its state. */
const NOT_READY: Record<Exclude<JobState, 'running'>, string> = {
  created: 'the job is starting: its operators are not all open yet',
  restarting: 'the job is restarting after a failure',
  stopping: 'the job is stopping with a savepoint',
  finished: 'the job has finished',
  failed: 'the job failed',
};

/** POST routes take no options yet: a body, if any, must be an empty JSON object, so that a typo is not ignored. */
async function emptyBody(request: IncomingMessage): Promise<void> {
  const fields = Object.keys(await readJsonBody(request));
  if (fields.length > 0) throw new HttpError(400, `${request.url ?? 'this route'} takes no fields, got ${fields.join(', ')}`);
}

/** The probes (`/healthz`, `/readyz`) and the routes that act on the job: a savepoint, a stop with one. */
export function controlRoutes(control: JobControl): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      description: "liveness: 200 while the job's process serves",
      answer: () => jsonAnswer({ status: 'alive', state: control.state }),
    },
    {
      method: 'GET',
      path: '/readyz',
      description: 'readiness: 200 while the job is running (not starting, restarting, stopping or over), 503 with the reason otherwise',
      answer: () => {
        if (control.state === 'running') return jsonAnswer({ status: 'ready', state: control.state });
        const why = control.state === 'restarting' || control.state === 'failed' ? control.reason : undefined;
        const reason = `${NOT_READY[control.state]}${why === undefined ? '' : `: ${why}`}`;
        return jsonAnswer({ status: 'not ready', state: control.state, reason }, 503);
      },
    },
    {
      method: 'POST',
      path: '/job/savepoints',
      description: 'takes a savepoint now, the job going on; answers { savepoint, checkpointId } once it is complete',
      answer: async (request) => {
        await emptyBody(request);
        const { path, checkpointId } = await control.savepoint();
        return jsonAnswer({ savepoint: path, checkpointId });
      },
    },
    {
      method: 'POST',
      path: '/job/stop',
      description: 'stops the job with a savepoint (as SIGTERM does); answers { savepoint, checkpointId } once it is complete',
      answer: async (request) => {
        await emptyBody(request);
        const { path, checkpointId } = await control.stop();
        return jsonAnswer({ savepoint: path, checkpointId });
      },
    },
  ];
}

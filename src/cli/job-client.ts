import { describeError, WeirError } from '../core/errors.ts';
import type { ClustersView } from '../connectors/multi-region/cluster-view.ts';
import type { JobView } from '../runtime/routes/job-route.ts';

const REQUEST_TIMEOUT_MS = 10_000;
/**
 * A savepoint or a stop answers once the savepoint is complete. Node's fetch waits at most 5 minutes for an answer's
 * headers whatever signal it is given, so that is the most the CLI waits; the job goes on with the savepoint.
 */
const SAVEPOINT_TIMEOUT_MS = 5 * 60_000;

/** The base address of a job's HTTP server, from `--url` (`http://host:port`, with or without a path). */
export function jobServerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WeirError(`--url needs the job's server address, such as http://127.0.0.1:8081, got '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WeirError(`--url needs an http:// address, got '${text}'`);
  return url;
}

const NO_ANSWER = 'no answer in time';

/** Why fetch could not get an answer, in words: the system error under undici's "fetch failed", or the timeout. */
function unreachableReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return NO_ANSWER;
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return NO_ANSWER;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
  if (code === 'ECONNRESET') return 'the connection was reset';
  return typeof cause?.message === 'string' ? cause.message : describeError(error);
}

/** A route's JSON answer; a failed request or an error answer is a one-line WeirError with the server's own `error`. */
async function requestJson(base: URL, method: 'GET' | 'POST', path: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<unknown> {
  const url = new URL(path, base);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { accept: 'application/json', ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'POST' ? { body: '{}' } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    // One line, no stack: a job that is not there is an ordinary answer, and fetch's own "fetch failed" says nothing.
    const reason = unreachableReason(error);
    if (reason === NO_ANSWER && method === 'POST') {
      throw new WeirError(`the job at ${url.href} gave no answer in ${timeoutMs / 1000} s: its savepoint may still be in progress (weir status shows its checkpoints)`, { retriable: true });
    }
    throw new WeirError(`cannot reach the job at ${url.href}: ${reason} (is it running with --http-port ${url.port || '80'}? give its address with --url or WEIR_URL)`, { retriable: true });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : text.trim().split('\n')[0];
    throw new WeirError(`the job at ${url.href} answered HTTP ${response.status}: ${error}`);
  }
  if (body === undefined) throw new WeirError(`the job at ${url.href} answered something else than JSON`);
  return body;
}

/** GET `<url>/clusters` of a running job (weir run --http-port). */
export async function fetchClusters(base: URL): Promise<ClustersView> {
  const view = (await requestJson(base, 'GET', '/clusters')) as ClustersView;
  if (typeof view !== 'object' || view === null || !Array.isArray(view.operators)) throw new WeirError(`the job at ${new URL('/clusters', base).href} answered something else than its clusters`);
  return view;
}

/** GET `<url>/job`: the job's state, attempts, checkpoints. */
export async function fetchJob(base: URL): Promise<JobView> {
  const view = (await requestJson(base, 'GET', '/job')) as JobView;
  if (typeof view !== 'object' || view === null || typeof view.state !== 'string') throw new WeirError(`the job at ${new URL('/job', base).href} answered something else than a job`);
  return view;
}

/** POST `<url>/job/savepoints` or `<url>/job/stop`: the savepoint's directory once it is complete. */
export async function postSavepoint(base: URL, action: 'savepoint' | 'stop'): Promise<{ savepoint: string; checkpointId: number }> {
  const path = action === 'savepoint' ? '/job/savepoints' : '/job/stop';
  const answer = (await requestJson(base, 'POST', path, SAVEPOINT_TIMEOUT_MS)) as { savepoint?: unknown; checkpointId?: unknown };
  if (typeof answer.savepoint !== 'string' || typeof answer.checkpointId !== 'number') throw new WeirError(`the job at ${new URL(path, base).href} answered without a savepoint`);
  return { savepoint: answer.savepoint, checkpointId: answer.checkpointId };
}

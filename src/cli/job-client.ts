import { describeError, WeirError } from '../core/errors.ts';
import type { ClustersView } from '../connectors/multi-region/cluster-view.ts';

const REQUEST_TIMEOUT_MS = 10_000;

/** The base address of a job's HTTP server, from `--url` (`http://host:port`, with or without a path). */
export function jobServerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WeirError(`--url needs the job's server address, such as http://127.0.0.1:9464, got '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WeirError(`--url needs an http:// address, got '${text}'`);
  return url;
}

/** GET `<url>/clusters` of a running job (weir run --metrics-port). */
export async function fetchClusters(base: URL): Promise<ClustersView> {
  const url = new URL('/clusters', base);
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    throw new WeirError(`cannot reach the job at ${url.href}: ${describeError(error)} (is it running with --metrics-port?)`, { cause: error, retriable: true });
  }
  if (!response.ok) throw new WeirError(`the job at ${url.href} answered HTTP ${response.status}: ${(await response.text()).trim().split('\n')[0]}`);
  const view = (await response.json()) as ClustersView;
  if (typeof view !== 'object' || view === null || !Array.isArray(view.operators)) throw new WeirError(`the job at ${url.href} answered something else than its clusters`);
  return view;
}

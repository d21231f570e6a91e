import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { WeirError, describeError } from '../core/errors.ts';

/** Only this machine can scrape by default; containers pass 0.0.0.0 (`--metrics-host`). */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

/** What a route answers. */
export interface RouteAnswer {
  readonly status?: number;
  readonly contentType: string;
  readonly body: string;
}

/** One route of the job's HTTP server: a method and an exact path (the query string is ignored). */
export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** What the route is for, listed in the answer to an unknown path. */
  readonly description: string;
  answer(request: IncomingMessage): RouteAnswer | Promise<RouteAnswer>;
}

export interface MetricsServer {
  readonly host: string;
  /** The port it got (the one asked for, or a free one for 0). */
  readonly port: number;
  /** The server's base address: `http://<host>:<port>`. */
  readonly baseUrl: string;
  /** Where to scrape: `http://<host>:<port>/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/** A JSON answer, indented for a reader with curl. */
export function jsonAnswer(value: unknown, status = 200): RouteAnswer {
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value, null, 2)}\n` };
}

/** The Prometheus text of a registry at GET /metrics. */
export function metricsRoute(registry: Registry): Route {
  return {
    method: 'GET',
    path: '/metrics',
    description: 'Prometheus metrics',
    answer: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/**
 * The job's HTTP server on `host` (port 0 picks a free one): Prometheus metrics at /metrics and the JSON routes given,
 * looked up in a table by method and path.
 */
export async function startMetricsServer(registry: Registry, port: number, host: string = DEFAULT_METRICS_HOST, routes: readonly Route[] = []): Promise<MetricsServer> {
  const table = new Map<string, Route>();
  for (const route of [metricsRoute(registry), ...routes]) {
    const key = `${route.method} ${route.path}`;
    if (table.has(key)) throw new WeirError(`the job's HTTP server has two routes for ${key}`);
    table.set(key, route);
  }
  const listing = [...table.values()].map((route) => `${route.method} ${route.path}  ${route.description}`).join('\n');
  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0] ?? '/';
    const route = table.get(`${request.method ?? 'GET'} ${path}`);
    if (route === undefined) {
      const known = [...table.values()].some((candidate) => candidate.path === path);
      response
        .writeHead(known ? 405 : 404, { 'content-type': 'text/plain' })
        .end(`${known ? `${request.method} is not allowed on ${path}` : `not found: ${path}`}; routes:\n${listing}\n`);
      return;
    }
    Promise.resolve()
      .then(() => route.answer(request))
      .then(
        (answer) => response.writeHead(answer.status ?? 200, { 'content-type': answer.contentType }).end(answer.body),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${path} failed: ${describeError(error)}\n`),
      );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is in use' : describeError(error);
    throw new WeirError(`cannot serve metrics on ${host}:${port}: ${reason}`, { cause: error, fatal: true });
  }
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const baseUrl = `http://${urlHost}:${bound}`;
  return {
    host,
    port: bound,
    baseUrl,
    url: `${baseUrl}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

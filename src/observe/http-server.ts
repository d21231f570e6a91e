import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { WeirError, describeError } from '../core/errors.ts';

/** Only this machine can reach the job's server by default; containers pass 0.0.0.0 (`--http-host`). */
/** How long closing the server waits for requests in flight before it cuts their connections. */
const CLOSE_GRACE_MS = 1_000;

export const DEFAULT_HTTP_HOST = '127.0.0.1';

/** A request body larger than this is refused (413): every route takes a small JSON object at most. */
const MAX_BODY_BYTES = 64 * 1024;

/** What a route answers. */
export interface RouteAnswer {
  readonly status?: number;
  readonly contentType: string;
  readonly body: string;
  /** Headers beside the content type (`allow` on a 405). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** One route of the job's HTTP server: a method and an exact path (the query string is ignored). */
export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** What the route is for, listed in the answer to an unknown path. */
  readonly description: string;
  answer(request: IncomingMessage): RouteAnswer | Promise<RouteAnswer>;
}

/** The job's HTTP server, as started by {@link startJobServer}. */
export interface JobServer {
  readonly host: string;
  /** The port it got (the one asked for, or a free one for 0). */
  readonly port: number;
  /** The server's base address: `http://<host>:<port>`. */
  readonly baseUrl: string;
  /** Where to scrape: `http://<host>:<port>/metrics`. */
  readonly url: string;
  /** Every route it serves, as `METHOD /path`. */
  readonly routes: readonly string[];
  close(): Promise<void>;
}

/**
 * A request the route refuses: answered with `status` (a 4xx) and `{ "error": message }`. Routes throw it; any other
 * error a route throws is a 500 with the same JSON shape.
 */
export class HttpError extends WeirError {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON answer, indented for a reader with curl. */
export function jsonAnswer(value: unknown, status = 200): RouteAnswer {
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value, null, 2)}\n` };
}

/** The JSON error every refused request gets: `{ "error": message }` and any details beside it. */
export function jsonError(status: number, message: string, details: Record<string, unknown> = {}): RouteAnswer {
  return jsonAnswer({ error: message, ...details }, status);
}

/**
 * The request's body as a JSON object: an empty body is `{}`; anything but an object, or a body over 64 KiB, is a
 * 4xx ({@link HttpError}).
 */
export async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the request body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'the request body must be a JSON object');
  return value as Record<string, unknown>;
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
 * looked up in a table by method and path. Every error is JSON (`{ "error": ... }`): 404 for an unknown path with the
 * routes listed, 405 for a method the path does not take, a route's own 4xx, 500 for a route that failed. A failing
 * route never takes the job down.
 */
export async function startJobServer(registry: Registry, port: number, host: string = DEFAULT_HTTP_HOST, routes: readonly Route[] = []): Promise<JobServer> {
  const table = new Map<string, Route>();
  for (const route of [metricsRoute(registry), ...routes]) {
    const key = `${route.method} ${route.path}`;
    if (table.has(key)) throw new WeirError(`the job's HTTP server has two routes for ${key}`);
    table.set(key, route);
  }
  const listing = [...table.values()].map((route) => ({ route: `${route.method} ${route.path}`, description: route.description }));
  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0] ?? '/';
    const route = table.get(`${request.method ?? 'GET'} ${path}`);
    const refused = route?.method === 'POST' ? crossOriginRefusal(request) : undefined;
    const answered = route === undefined || refused !== undefined ? Promise.resolve(refused ?? unrouted(table, request.method, path, listing)) : Promise.resolve().then(() => route.answer(request));
    answered
      .catch((error: unknown) => (error instanceof HttpError ? jsonError(error.status, error.message) : jsonError(500, `${path} failed: ${describeError(error)}`)))
      .then((answer) => {
        if (!response.headersSent) response.writeHead(answer.status ?? 200, { ...answer.headers, 'content-type': answer.contentType }).end(answer.body);
      })
      .catch(() => {
        // The client went away: nothing to answer, and nothing the job should notice.
      });
  });
  // A broken client connection is the client's problem, never the job's.
  server.on('clientError', (_error, socket) => socket.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is in use' : describeError(error);
    throw new WeirError(`cannot serve HTTP on ${host}:${port}: ${reason}`, { cause: error, fatal: true });
  }
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const baseUrl = `http://${urlHost}:${bound}`;
  return {
    host,
    port: bound,
    baseUrl,
    url: `${baseUrl}/metrics`,
    routes: listing.map(({ route }) => route),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A request still waiting for its answer (a savepoint the ending job will not take) must not keep the process:
        // it gets a moment to be answered, then its connection is cut.
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      }),
  };
}

/**
 * A 403 for a POST a browser sent from another site's page: its `Origin` is not this server's own address (the
 * `Host` it was sent to). Without it, any page open in a browser on the job's machine could stop the job (a form
 * posts across origins without asking). Tools that send no `Origin` (curl, `weir stop`) are served.
 */
function crossOriginRefusal(request: IncomingMessage): RouteAnswer | undefined {
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined; // 'null' (a sandboxed page, a file) or garbage: no origin this server can be
  }
  if (host !== undefined && host === request.headers.host) return undefined;
  return jsonError(403, `refused: a request from ${origin} to act on the job (only pages this server serves, or tools that send no Origin, may)`);
}

function unrouted(table: ReadonlyMap<string, Route>, method: string | undefined, path: string, routes: readonly { route: string; description: string }[]): RouteAnswer {
  const allowed = [...table.values()].filter((candidate) => candidate.path === path).map((candidate) => candidate.method);
  if (allowed.length > 0) return { ...jsonError(405, `${method ?? '?'} is not allowed on ${path}; it takes ${allowed.join(', ')}`, { allowed }), headers: { allow: allowed.join(', ') } };
  return jsonError(404, `not found: ${path}`, { routes });
}

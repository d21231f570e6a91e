import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { WeirError, describeError } from '../core/errors.ts';

/** Only this machine can scrape by default; containers pass 0.0.0.0 (`--metrics-host`). */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

export interface MetricsServer {
  readonly host: string;
  /** The port it got (the one asked for, or a free one for 0). */
  readonly port: number;
  /** Where to scrape: `http://<host>:<port>/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the registry as Prometheus text at /metrics on `host` (port 0 picks a free one). */
export async function startMetricsServer(registry: Registry, port: number, host: string = DEFAULT_METRICS_HOST): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
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
  return {
    host,
    port: bound,
    url: `http://${urlHost}:${bound}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

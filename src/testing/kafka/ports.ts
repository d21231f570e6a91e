/** Free loopback ports for a broker's listeners, and whether a port accepts connections yet. */
import { createConnection, createServer } from 'node:net';

/** Local brokers listen on loopback only. */
export const HOST = '127.0.0.1';

/** Ports that were free a moment ago (another process may still take one: startClusters retries on a bind error). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, HOST, () => resolve(server));
      }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Resolves once a TCP connection to the loopback port succeeds (the broker listens), rejects otherwise. */
export function connects(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    socket.setTimeout(1_000, () => socket.destroy(new Error(`connect to ${HOST}:${port} timed out`)));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startJobServer } from '../../src/observe/http-server.ts';

describe("the job's HTTP server", () => {
  // Without the cut, close() waits for the request forever: the test's timeout is what fails.
  it('closes although a request is still waiting for its answer (a savepoint the ending job will never take)', { timeout: 10_000 }, async () => {
    const never = { method: 'POST', path: '/job/savepoints', description: 'never answers', answer: () => new Promise<never>(() => {}) } as const;
    const server = await startJobServer(new Registry(), 0, '127.0.0.1', [never]);
    const request = fetch(`${server.baseUrl}/job/savepoints`, { method: 'POST', body: '{}' }).then(
      () => 'answered',
      () => 'cut',
    );
    // The request has reached the route before the server closes.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.close();
    expect(await request).toBe('cut');
  });
});

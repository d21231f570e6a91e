import { describe, expect, it, vi } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ExactlyOnceOutput, ExactlyOnceSpec } from '../fixtures/exactly-once-job.ts';
import { expectFailureFreeOutput } from '../fixtures/exactly-once-model.ts';
import { publishedRecords, runWeir, unpublishedFiles, type ProcessOutcome } from '../fixtures/weir-process.ts';
import { workDirs } from '../fixtures/work-dirs.ts';
import { LocalCheckpointStorage } from '../../src/checkpoint/local-storage.ts';
import type { JobView } from '../../src/runtime/routes/job-route.ts';
import { main } from '../../src/cli/main.ts';

const JOB = 'test/fixtures/exactly-once-job.ts';
const workDir = workDirs('weir-job-control-');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks again every 20 ms until `done` holds of the answer, for at most `deadlineMs`. */
async function waitFor<T>(what: string, ask: () => Promise<T>, done: (value: T) => boolean, deadlineMs = 20_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await ask();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}; last: ${JSON.stringify(value)}`);
    await sleep(20);
  }
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; type: string; allow: string | null; body: Record<string, unknown> }> {
  const response = await fetch(url, init);
  const { status, headers } = response;
  return { status, type: headers.get('content-type') ?? '', allow: headers.get('allow'), body: (await response.json()) as Record<string, unknown> };
}

/**
 * `weir <args>` in this process (the command's own code: its flags, its requests, what it prints), which spares the
 * start of a process per verb; `weir run` is the process under test.
 */
async function weirHere(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** The job's server address, from the line `weir run` prints at start. */
function serverUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const url = /^weir: HTTP API at (http:\/\/\S+) /m.exec(seen)?.[1];
      if (url !== undefined) resolve(url);
    });
    child.on('close', () => reject(new Error(`weir run ended before serving: ${seen}`)));
  });
}

describe('controlling a running job over HTTP and with the weir command', () => {
  it('reads /job and the probes, takes a savepoint that the job goes on after, stops with one, and the restore gives the failure-free output', { timeout: 120_000 }, async () => {
    const dir = workDir();
    const checkpoints = join(dir, 'checkpoints');
    const output = join(dir, 'out');
    // About 20 s of input at this rate: the stop comes well before its end. The restore reads the rest at full speed
    // (event times are the sequence numbers, whatever the rate).
    const spec: ExactlyOnceSpec = { pipeline: 'window', events: 20_000, keys: 23, ratePerSecond: 1_000, windowMs: 400, checkpointIntervalMs: 150, outputDir: output };
    let child: ChildProcess | undefined;
    let url!: Promise<string>;
    const running = runWeir(
      ['run', JOB, '--parallelism', '2', '--job-id', 'first', '--checkpoint-dir', checkpoints, '--http-port', '0', '--params', JSON.stringify(spec)],
      {},
      (started) => {
        child = started;
        url = serverUrl(started);
      },
    );
    let stopped: ProcessOutcome | undefined;
    try {
      const base = await url;
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const alive = await getJson(`${base}/healthz`);
      expect(alive.status).toBe(200);
      expect(alive.type).toMatch(/^application\/json/);
      const ready = await waitFor('/readyz to say ready', () => getJson(`${base}/readyz`), (answer) => answer.status === 200);
      expect(ready.body).toMatchObject({ status: 'ready', state: 'running' });

      const job = (await waitFor('a completed checkpoint', () => getJson(`${base}/job`), (answer) => (answer.body as unknown as JobView).checkpoints.latestCompleted !== null))
        .body as unknown as JobView;
      expect(job).toMatchObject({ name: 'exactly-once', jobId: 'first', state: 'running', attempt: 1, restarts: 0, parallelism: 2, checkpoints: { restored: null } });
      expect(job.uptimeMs).toBeGreaterThan(0);
      expect(Date.parse(job.startedAt)).toBeLessThanOrEqual(Date.now());
      expect(job.routes).toEqual(expect.arrayContaining(['GET /job', 'GET /healthz', 'GET /readyz', 'GET /metrics', 'POST /job/savepoints', 'POST /job/stop']));
      expect(job.checkpoints.latestCompleted!.path).toBe(join(checkpoints, 'first', `chk-${job.checkpoints.latestCompleted!.id}`));

      // Bad requests: JSON errors, and the job goes on.
      const unknown = await getJson(`${base}/jobs`);
      expect(unknown.status).toBe(404);
      expect(unknown.type).toMatch(/^application\/json/);
      expect(unknown.body['error']).toBe('not found: /jobs');
      const wrongMethod = await getJson(`${base}/job/stop`);
      expect(wrongMethod).toMatchObject({ status: 405, allow: 'POST', body: { error: 'GET is not allowed on /job/stop; it takes POST', allowed: ['POST'] } });
      const notJson = await getJson(`${base}/job/savepoints`, { method: 'POST', body: 'now please' });
      expect(notJson).toMatchObject({ status: 400, body: { error: 'the request body is not JSON' } });
      const unknownField = await getJson(`${base}/job/stop`, { method: 'POST', body: '{"drain":true}' });
      expect(unknownField).toMatchObject({ status: 400, body: { error: '/job/stop takes no fields, got drain' } });
      expect((await getJson(`${base}/readyz`)).status).toBe(200);

      // A savepoint through the command line: complete, apart from the checkpoints (their retention would delete it).
      const taken = await weirHere(['savepoint', '--url', base]);
      expect(taken.code, taken.stderr).toBe(0);
      const savepoint = taken.stdout.trim();
      expect(savepoint).toMatch(new RegExp(`^${join(checkpoints, 'first', 'savepoints', 'chk-')}\\d+$`));
      const metadata = await LocalCheckpointStorage.savepoint(savepoint).verify(0);
      expect(metadata.kind).toBe('savepoint');
      // Its state files (the windows' keyed state) are its own, inside its directory.
      expect(metadata.files.length).toBeGreaterThan(0);
      for (const file of metadata.files) expect(file.path).toMatch(/^chk-\d+\//);

      // Two savepoints asked at once: one is taken, the other refused while it is in progress.
      const both = await Promise.all([1, 2].map(() => getJson(`${base}/job/savepoints`, { method: 'POST' })));
      expect(both.map((answer) => answer.status).sort()).toEqual([200, 409]);
      expect(both.find((answer) => answer.status === 409)!.body['error']).toBe('a savepoint is in progress: ask again once it is complete');
      expect((await getJson(`${base}/job`)).body['state']).toBe('running');

      // The stop through the command line; a second stop while it stops is refused.
      const stopping = weirHere(['stop', '--url', base]);
      await waitFor('the job to be stopping', () => getJson(`${base}/job`), (answer) => answer.body['state'] === 'stopping');
      const again = await getJson(`${base}/job/stop`, { method: 'POST' });
      expect(again).toMatchObject({ status: 409, body: { error: 'the job is already stopping' } });
      const notReady = await getJson(`${base}/readyz`);
      expect(notReady).toMatchObject({ status: 503, body: { state: 'stopping', reason: 'the job is stopping with a savepoint' } });
      const stop = await stopping;
      expect(stop.code, stop.stderr).toBe(0);
      const stopSavepoint = stop.stdout.trim();
      stopped = await running;
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stderr).toContain(`weir: stopped with savepoint ${stopSavepoint}\n`);
      expect(existsSync(join(stopSavepoint, '_metadata'))).toBe(true);
      expect(publishedRecords<ExactlyOnceOutput>(output).length).toBeLessThan(spec.events);

      // The restore from the stop's savepoint publishes the rest: no record lost, none twice.
      const rest = { ...spec, ratePerSecond: 200_000 };
      const restored = await runWeir(['run', JOB, '--parallelism', '2', '--job-id', 'restored', '--checkpoint-dir', checkpoints, '--from-savepoint', stopSavepoint, '--params', JSON.stringify(rest)]);
      expect(restored.code, restored.stderr).toBe(0);
      expectFailureFreeOutput(spec, publishedRecords<ExactlyOnceOutput>(output));
      expect(unpublishedFiles(output)).toEqual([]);
    } finally {
      if (stopped === undefined) child?.kill('SIGKILL');
    }
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../fixtures/free-port.ts';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/weir.js', import.meta.url));
const METADATA = {
  clusters: { a: { brokers: ['a:9092'] }, b: { brokers: ['b:9092'] } },
  streams: { ratings: [{ cluster: 'a', topics: ['ratings'] }], scores: [{ cluster: 'a', topics: ['scores'] }] },
};

function start(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, WEIR_LOG_LEVEL: 'warn' } });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, output: () => output, exited };
}

async function weir(args: string[]): Promise<{ code: number | null; output: string }> {
  const run = start(args);
  const code = await run.exited;
  return { code, output: run.output() };
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let dir: string | undefined;
let job: ReturnType<typeof start> | undefined;
afterEach(async () => {
  job?.child.kill('SIGKILL');
  job = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('weir clusters and weir migrate against a running job', () => {
  it('prints the table, then moves the job from a to b phase by phase, resuming after an interruption', { timeout: 240_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-migrate-'));
    const metadata = join(dir, 'clusters.json');
    await writeFile(metadata, JSON.stringify(METADATA, null, 2));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // Its checkpoints (and the savepoint its stop takes) go to the test's own directory, never into the repository.
    job = start(['run', 'test/fixtures/cluster-status-job.ts', '--parallelism', '2', '--checkpoint-dir', join(dir, 'checkpoints'), '--metrics-port', String(port), '--params', JSON.stringify({ metadata })]);
    await until(
      'both subtasks of the source and the sink to report',
      async () => {
        const view = await fetch(`${url}/clusters`).then((response) => response.json() as Promise<{ operators: { subtasks: unknown[] }[] }>, () => undefined);
        return view !== undefined && view.operators.length === 2 && view.operators.every((operator) => operator.subtasks.length === 2);
      },
      120_000,
    );

    const table = await weir(['clusters', '--url', url]);
    expect(table.code).toBe(0);
    const lines = table.output.trim().split('\n');
    expect(lines[0]).toMatch(/^OPERATOR\s+ROLE\s+CLUSTER\s+STATE\s+LAG\s+LAG@CHECKPOINT\s+EPOCHS\s+FAILOVERS\s+PHASE$/);
    expect(lines.find((line) => line.startsWith('ratings-source'))).toMatch(/^ratings-source\s+source\s+a\s+reachable\s+0\s+(-|0 @ \d+)\s+-\s+-\s+-$/);
    expect(lines.find((line) => line.startsWith('scores-sink'))).toMatch(/^scores-sink\s+sink\s+a\s+reachable, receiving\s+-\s+-\s+\d+\s+0\s+-$/);

    const migrateArgs = ['migrate', '--metadata', metadata, '--stream', 'scores,ratings', '--from', 'a', '--to', 'b', '--url', url, '--poll-ms', '200', '--quiet-ms', '500'];
    // Interrupted once the sink cut-over is written: the file records the phase.
    const first = start(migrateArgs);
    await until('the sink cut-over to be written', () => first.output().includes('phase sink-cutover: written'), 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(JSON.parse(await readFile(metadata, 'utf8')).migration).toEqual({ from: 'a', to: 'b', phase: 'sink-cutover' });
    expect(first.output()).toContain('phase dual-read: written');
    expect(first.output()).toContain('phase dual-read: applied by every subtask');

    const resumed = await weir(migrateArgs);
    expect(resumed.code).toBe(0);
    expect(resumed.output).not.toContain('phase dual-read: written');
    const order = ['phase drain: written', 'phase drain: waiting for', 'drained (its end offsets still across two checkpoints after', 'phase remove-source: written', 'phase done: written', 'is done'];
    const positions = order.map((text) => resumed.output.indexOf(text));
    expect(positions.every((at) => at >= 0), resumed.output).toBe(true);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);

    const final = JSON.parse(await readFile(metadata, 'utf8'));
    expect(final.streams).toEqual({ ratings: [{ cluster: 'b', topics: ['ratings'] }], scores: [{ cluster: 'b', topics: ['scores'] }] });
    expect(final.migration).toEqual({ from: 'a', to: 'b', phase: 'done' });
    expect(final.clusters).toEqual(METADATA.clusters);

    const after = await weir(['clusters', '--url', url]);
    expect(after.output).toMatch(/^ratings-source\s+source\s+b\s+reachable\s.*done \(a -> b\)$/m);
    expect(after.output).not.toMatch(/^ratings-source\s+source\s+a\s/m);

    job.child.kill('SIGTERM');
    expect(await job.exited).toBe(0);
    job = undefined;
  });

  it('says what is wrong with a bad request, and that the job cannot be reached', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-migrate-'));
    const metadata = join(dir, 'clusters.json');
    await writeFile(metadata, JSON.stringify(METADATA));
    const port = await freePort();
    const unknown = await weir(['migrate', '--metadata', metadata, '--stream', 'scores,ratings', '--from', 'a', '--to', 'x', '--url', `http://127.0.0.1:${port}`]);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toMatch(/weir: cluster x is not in the metadata's clusters \(a, b\)/);
    const missing = await weir(['migrate', '--metadata', metadata, '--from', 'a', '--to', 'b', '--url', 'http://127.0.0.1:1']);
    expect(missing.code).toBe(2);
    expect(missing.output).toMatch(/weir migrate needs --stream/);
    const down = await weir(['clusters', '--url', `http://127.0.0.1:${port}`]);
    expect(down.code).toBe(1);
    expect(down.output).toMatch(/cannot reach the job at http:\/\/127\.0\.0\.1:\d+\/clusters/);
  });
});

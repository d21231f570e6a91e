/**
 * Issue 17's Done-when 4: `weir new demo && cd demo && npm install <packed weir> && npm test` passes. The project is
 * written by the packed weir's own CLI (the templates must ship in the package), installed from the run's one packed
 * tarball (test/fixtures/packed-weir.ts) with its test tools from the npm registry (the cache serves them), and its
 * `npm test` type-checks it and runs its property test under generated faults.
 *
 * Then the container's entry command, as the image runs it (there is no Docker engine here): the Dockerfile's
 * ENTRYPOINT, exec form, from the project's directory laid out as the image's WORKDIR (the same files, installed).
 * SIGTERM stops it with a savepoint within the manifest's grace period, exit 0; the same command again restores it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectSuccess, NPM, ROOT, run } from '../fixtures/commands.ts';
import { entryCommand, finalStage, flagValue, readDockerfile } from '../fixtures/dockerfile.ts';
import { freePort } from '../fixtures/free-port.ts';
import { packedWeir } from '../fixtures/packed-weir.ts';
import { sleep } from '../../src/core/signal.ts';

let work: string;
let tarball: string;
let cli: string;
let demo: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'weir-scaffold-'));
  tarball = await packedWeir();
  // The packed CLI, unpacked: its own files (bin, dist, templates), with this repository's node_modules for its
  // dependencies, so that `weir new` runs before any project exists to install weir into.
  const unpacked = join(work, 'cli');
  mkdirSync(unpacked);
  expectSuccess(await run('tar', ['-xzf', tarball, '-C', unpacked], work), 'tar -xzf');
  symlinkSync(join(ROOT, 'node_modules'), join(unpacked, 'package', 'node_modules'), 'dir');
  cli = join(unpacked, 'package', 'bin', 'weir.js');
  demo = join(work, 'demo');
}, 900_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('weir new demo, then npm install of the packed weir, then npm test', () => {
  test('weir new writes the project, and refuses to write into a non-empty directory', async () => {
    const created = await run(process.execPath, [cli, 'new', 'demo'], work);
    expectSuccess(created, 'weir new demo');
    expect(created.stdout).toContain(`into ${demo}`);
    expect(readdirSync(demo, { recursive: true }).map(String).sort()).toEqual(
      ['.dockerignore', '.gitignore', 'Dockerfile', 'README.md', 'k8s', 'k8s/statefulset.yaml', 'package.json', 'src', 'src/job.ts', 'test', 'test/job.exactly-once.spec.ts', 'tsconfig.json'].sort(),
    );
    const project = JSON.parse(readFileSync(join(demo, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };
    const weirVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(project.name).toBe('demo');
    expect(project.dependencies).toEqual({ weir: `^${weirVersion}` });
    expect(Object.keys(project.devDependencies)).toEqual(expect.arrayContaining(['fast-check', 'vitest']));
    expect(Object.keys(project.scripts)).toEqual(expect.arrayContaining(['start', 'test']));
    expect(readFileSync(join(demo, 'k8s', 'statefulset.yaml'), 'utf8')).not.toContain('__NAME__');

    const again = await run(process.execPath, [cli, 'new', 'other', '--dir', demo], work);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${demo} is not empty`);
    expect(JSON.parse(readFileSync(join(demo, 'package.json'), 'utf8'))).toEqual(project);
  });

  test("npm install of the packed weir, then the project's npm test (type check and property test) passes", { timeout: 900_000 }, async () => {
    const install = await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], demo, 600_000);
    expectSuccess(install, 'npm install of the packed tarball');
    const outcome = await run(NPM, ['test'], demo, 600_000);
    expectSuccess(outcome, 'npm test');
    expect(outcome.stdout).toMatch(/Tests\s+1 passed/);
    const fired = /faults fired: (\{.*\})/.exec(outcome.stdout)?.[1];
    expect(fired, outcome.stdout).toBeDefined();
    console.log(`the scaffold's property test: faults fired ${fired}`);
  });

  test("the image's entry command stops with a savepoint on SIGTERM within the grace period, and restores it at the next start", { timeout: 300_000 }, async () => {
    expect(existsSync(join(demo, 'node_modules', 'weir')), 'the project is installed (the test before)').toBe(true);
    const command = entryCommand(finalStage(readDockerfile(join(demo, 'Dockerfile'))));
    const manifest = parse(readFileSync(join(demo, 'k8s', 'statefulset.yaml'), 'utf8').split(/^---$/m)[1]!) as { spec: { template: { spec: { terminationGracePeriodSeconds: number } } } };
    const graceMs = manifest.spec.template.spec.terminationGracePeriodSeconds * 1_000;
    // The image's port, on a free one here (other tests run beside this one); every other part as the image has it.
    const port = await freePort();
    const args = command.slice(1).map((part, i, all) => (all[i - 1] === '--http-port' ? String(port) : part));
    expect(command[0]).toBe('node');

    const first = await untilReady(args, port);
    const stopped = await terminate(first, graceMs);
    expect(stopped.code, stopped.stderr).toBe(0);
    const savepoint = /stopped with savepoint (\S+)/.exec(stopped.stderr)?.[1];
    expect(savepoint, stopped.stderr).toBeDefined();
    const id = /chk-(\d+)$/.exec(savepoint!)?.[1];
    expect(savepoint!.startsWith(join(demo, flagValue(command, '--checkpoint-dir')!, flagValue(command, '--job-id')!))).toBe(true);
    expect(existsSync(savepoint!)).toBe(true);

    const second = await untilReady(args, port);
    const again = await terminate(second, graceMs);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`restoring checkpoint ${id} of job demo`);
  });
});

interface Running {
  readonly child: ReturnType<typeof spawn>;
  readonly output: { stderr: string };
  readonly exited: Promise<number | null>;
}

/** Starts the entry command in the project's directory (the image's WORKDIR) and waits for /readyz to answer 200. */
async function untilReady(args: readonly string[], port: number): Promise<Running> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' };
  // The image without Kafka's brokers: the job's embedded demo events. (The name is assembled: the global setup starts a
  // broker for every test file that names the variable, and this one needs none.)
  delete env[['KAFKA', 'BROKERS'].join('_')];
  const child = spawn(process.execPath, args, { cwd: demo, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const output = { stderr: '' };
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (done) throw new Error(`the entry command exited before it was ready:\n${output.stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the entry command was not ready within 120 s:\n${output.stderr}`);
    }
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.status === 200, () => false);
    if (ready) {
      // The liveness probe's route answers too, and the installed package serves the dashboard and its charting library.
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      for (const [path, contains] of [['/', '/dashboard/app.js'], ['/dashboard/app.js', 'refresh'], ['/dashboard/uplot.js', 'uPlot']] as const) {
        const response = await fetch(`http://127.0.0.1:${port}${path}`);
        expect(response.status, path).toBe(200);
        expect(await response.text(), path).toContain(contains);
      }
      return { child, output, exited };
    }
    await sleep(200);
  }
}

/** SIGTERM, as the kubelet sends it; the exit code and stderr, or a failure when it outlives the grace period (SIGKILL then). */
async function terminate({ child, output, exited }: Running, graceMs: number): Promise<{ code: number | null; stderr: string }> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  if (code === null) throw new Error(`the entry command did not exit within the grace period (${graceMs} ms) after SIGTERM:\n${output.stderr}`);
  return { code, stderr: output.stderr };
}

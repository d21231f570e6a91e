import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type JobResult } from '../../src/runtime/coordinator.ts';
import { sleep } from '../../src/core/signal.ts';
import type { HealthComponent, HealthComponentName, HealthReport } from '../../src/runtime/health/health-score.ts';
import { OUT_OF_ORDERNESS_MS, RESTART_ATTEMPTS, THROWS, type HealthJobParams } from '../fixtures/health-job.ts';
import { workDirs } from '../fixtures/work-dirs.ts';

const JOB = fileURLToPath(new URL('../fixtures/health-job.ts', import.meta.url));
const dirs = workDirs('weir-health-');

let controlDir: string;
let base: string;
let running: Promise<JobResult>;

async function health(): Promise<HealthReport> {
  const response = await fetch(`${base}/job/health`);
  expect(response.status).toBe(200);
  return (await response.json()) as HealthReport;
}

const component = (report: HealthReport, name: HealthComponentName): HealthComponent => report.components.find((c) => c.name === name)!;

/** Asks for the health report until `done` holds for the component, or gives up with the last answer. */
async function waitForComponent(name: HealthComponentName, what: string, done: (c: HealthComponent) => boolean, deadlineMs = 20_000): Promise<HealthReport> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const report = await health();
    if (done(component(report, name))) return report;
    if (Date.now() > until) throw new Error(`gave up waiting for ${name} to ${what}; last: ${JSON.stringify(report)}`);
    await sleep(50);
  }
}

/** The points a component costs the job's score: its weight times what it lost. */
const cost = (c: HealthComponent): number => c.weight * (100 - c.score);

/** Turns a trouble on, sees its component drop with its reason, turns it off, sees the component recover. */
async function dropAndRecover(
  trouble: string,
  name: HealthComponentName,
  reason: RegExp,
  below: number,
  beforeTurningOff: () => Promise<void> = async () => {},
): Promise<{ dropped: HealthReport; recovered: HealthReport }> {
  await waitForComponent(name, 'start healthy', (c) => c.score === 100);
  await writeFile(join(controlDir, trouble), '');
  const dropped = await waitForComponent(name, `drop below ${below}`, (c) => c.score < below);
  const worst = component(dropped, name);
  expect(worst.reason).toMatch(reason);
  expect(worst.weight).toBeGreaterThan(0);
  // The job's score lost at least what this component costs.
  expect(dropped.score).toBeLessThanOrEqual(Math.round(100 - cost(worst)));
  await beforeTurningOff();
  await rm(join(controlDir, trouble), { force: true });
  const recovered = await waitForComponent(name, 'recover', (c) => c.score === 100, 30_000);
  return { dropped, recovered };
}

describe('the health score drops with the reason of each trouble and recovers (GET /job/health)', () => {
  beforeAll(async () => {
    controlDir = dirs();
    const params: HealthJobParams = { controlDir };
    let found: (url: string) => void;
    const served = new Promise<string>((resolve) => (found = resolve));
    running = runJob({ jobModule: JOB, params, httpPort: 0, threads: 1, checkpointDir: join(dirs(), 'checkpoints'), onStatus: (line) => {
      const url = /^HTTP API at (http:\/\/\S+) /.exec(line)?.[1];
      if (url !== undefined) found(url);
    } });
    base = await Promise.race([served, running.then(() => Promise.reject(new Error('the job ended before serving')))]);
  });

  afterAll(async () => {
    await writeFile(join(controlDir, 'release'), '');
    await running;
  });

  it('a slow sink: sustained backpressure', { timeout: 60_000 }, async () => {
    const { dropped } = await dropAndRecover('slow', 'backpressure', /^\S+\[0\] was backpressured \d+% of the last 10\.0 s/, 60);
    const metrics = await fetch(`${base}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(/^weir_health_score\{job="health"\} \d+$/m);
    expect(metrics).toMatch(/^weir_health_component_score\{job="health",component="backpressure"\} \d+$/m);
    expect(component(dropped, 'backpressure').threshold).toBe(0.1);
  });

  it('failing checkpoints: checkpoint failure rate', { timeout: 60_000 }, async () => {
    const { dropped } = await dropAndRecover('slow-snapshot', 'checkpoint_failures', /^\d+ of \d+ checkpoints of the last 2\.0 s \(ten checkpoint intervals\) failed, the last with: /, 100);
    expect(component(dropped, 'checkpoint_failures').value).toBeGreaterThan(0);
  });

  it('a restart loop: restarts against the restart strategy', { timeout: 60_000 }, async () => {
    const restartsText = `restarts? in the last 1\\.5 s \\(the restart strategy's reset\\) of the ${RESTART_ATTEMPTS} the restart strategy allows; the last after: .*the map throws on purpose`;
    let job: { restarts: number; health: number } | undefined;
    const { dropped } = await dropAndRecover('throw', 'restarts', new RegExp(`^\\d ${restartsText}`), 100, async () => {
      // The loop runs its course (the map throws THROWS times in all) before the trouble is turned off.
      const until = Date.now() + 20_000;
      for (;;) {
        job = (await fetch(`${base}/job`).then((response) => response.json())) as { restarts: number; health: number };
        if (job.restarts === THROWS) return;
        if (Date.now() > until) throw new Error(`the job did not restart ${THROWS} times: ${JSON.stringify(job)}`);
        await sleep(50);
      }
    });
    expect(component(dropped, 'restarts').value).toBeGreaterThanOrEqual(1);
    expect(job!.health).toBeLessThan(100);
  });

  it('a stalled source: watermark skew between sources', { timeout: 60_000 }, async () => {
    const { dropped } = await dropAndRecover('stall', 'watermark_skew', /^late-readings\[0\] holds the watermark \d+\.\d s of event time behind the furthest source, beyond 0\.2 s/, 50);
    expect(component(dropped, 'watermark_skew').threshold).toBe(OUT_OF_ORDERNESS_MS);
    expect(component(dropped, 'watermark_skew').value).toBeGreaterThan(OUT_OF_ORDERNESS_MS);
  });
});

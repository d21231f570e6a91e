import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../fixtures/free-port.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/weir.js', import.meta.url));

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the weir command; `whileRunning` gets a function that tells whether the process is still alive. */
function weir(args: string[], whileRunning?: (alive: () => boolean) => Promise<void>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, WEIR_LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    let alive = true;
    const during = whileRunning?.(() => alive) ?? Promise.resolve();
    child.on('close', (code) => {
      alive = false;
      during.then(() => resolve({ code, stdout, stderr }), reject);
    });
  });
}

const sortedLines = (text: string): string[] => text.trim().split('\n').sort();

describe('weir run', () => {
  it('prints the example results, the same at parallelism 1 and 2', async () => {
    const one = await weir(['run', 'examples/feedback-counts.ts']);
    const two = await weir(['run', 'examples/feedback-counts.ts', '--parallelism', '2']);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(sortedLines(one.stdout)).toHaveLength(4);
    expect(sortedLines(one.stdout)[0]).toMatch(/^answer-model-v1 {2}ratings=\d+ {2}mean=\d\.\d{4}$/);
    expect(sortedLines(two.stdout)).toEqual(sortedLines(one.stdout));
    const total = sortedLines(one.stdout).reduce((sum, line) => sum + Number(/ratings=(\d+)/.exec(line)![1]), 0);
    expect(total).toBe(100_000);
  });

  it('exits non-zero with one summary line, last, naming the operator when user code throws', async () => {
    const outcome = await weir(['run', 'test/fixtures/failing-job.ts', '--parallelism', '2']);
    expect(outcome.code).toBe(1);
    const lines = outcome.stderr.trim().split('\n').filter((line) => line.startsWith('weir: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^weir: job 'failing' failed: operator 'parse-rating' .*rating 777 has no model version/);
    expect(outcome.stderr.trimEnd().split('\n').at(-1)).toBe(lines[0]);
  });

  it('gives a one-line error for a missing job file, a module without a job, and a bad flag', async () => {
    const missing = await weir(['run', 'jobs/nope.ts']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('weir: job file not found: jobs/nope.ts\n');

    const notAJob = await weir(['run', 'test/fixtures/not-a-job.ts']);
    expect(notAJob.code).toBe(1);
    expect(notAJob.stderr).toMatch(/^weir: .*not-a-job\.ts does not export a job: add `export default defineJob/);
    expect(notAJob.stderr.trim().split('\n')).toHaveLength(1);

    const badFlag = await weir(['run', 'examples/feedback-counts.ts', '--parallelism', 'two']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toBe("weir: --parallelism needs an integer from 1 to 32768, got 'two'\n");
  });

  it('serves Prometheus metrics labelled by job, operator and subtask while the job runs', async () => {
    const port = await freePort();
    let scraped = '';
    const outcome = await weir(['run', 'test/fixtures/metered-job.ts', '--parallelism', '2', '--metrics-port', String(port)], async (alive) => {
      // Scrape until a keyed subtask shows records, for as long as the job runs (start-up is slow on a loaded machine).
      while (alive() && !/^weir_operator_records_in_total\{[^}]*operator="latest-per-key"[^}]*subtask="1"\} [1-9]/m.test(scraped)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
        if (text !== '') scraped = text;
      }
    });
    expect(outcome.code).toBe(0);
    expect(scraped).toMatch(/^weir_operator_records_in_total\{job="metered",operator="latest-per-key",operator_id="[^"]+",subtask="1"\} [1-9]\d*$/m);
    expect(scraped).toMatch(/^weir_operator_records_out_total\{job="metered",operator="generator",/m);
    expect(scraped).toMatch(/^weir_channel_records_in_flight\{job="metered",operator="latest-per-key",subtask="0",from_operator="generator",from_subtask="1"\} \d+$/m);
    expect(scraped).toMatch(/^weir_channel_fill_ratio\{/m);
  });
});

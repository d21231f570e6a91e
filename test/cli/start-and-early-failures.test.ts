import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../fixtures/weir-process.ts';

const BIN = join(ROOT, 'bin/weir.js');
/** What the issue promises for a mistake of the command line: one line and a non-zero exit within this. */
const EARLY_EXIT_MS = 5_000;

interface Outcome {
  readonly code: number | null;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs `weir ...`; `onStderr` sees stderr as it grows and may scrape while the job runs. A process still alive
 * after `killAfterMs` is killed (a hang fails the test instead of the run).
 */
function weir(args: string[], killAfterMs: number, onStderr?: (text: string) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, WEIR_LOG_LEVEL: 'warn' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr?.(stderr);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, ms: performance.now() - began });
    });
  });
}

/** The one summary line (`weir: ...`), which comes last, after the error's whole text and causes. */
function summary(stderr: string): string[] {
  const lines = stderr.trimEnd().split('\n');
  expect(lines.at(-1)).toMatch(/^weir: /);
  return lines.filter((line) => line.startsWith('weir: '));
}

const dir = mkdtempSync(join(tmpdir(), 'weir-early-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe('weir run: early failures exit at once with one line', () => {
  /**
   * Starting node and the weir command at all takes this long now (`weir help`): on a loaded machine (several test
   * runs sharing two cores) it alone can take longer than 5 s, so the bound is on what the command does after that.
   */
  let startupMs = 0;
  beforeAll(async () => {
    startupMs = (await weir(['help'], 60_000)).ms;
  }, 70_000);

  it('a checkpoint directory that is a regular file, with a metrics port (before, "unexpected error" and no exit)', async () => {
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, '');
    const outcome = await weir(['run', 'examples/feedback-counts.ts', '--checkpoint-dir', file, '--metrics-port', '0'], 20_000);
    expect(outcome.code).toBe(1);
    expect(summary(outcome.stderr)).toEqual([`weir: cannot keep checkpoints in ${file}: it is a file, not a directory`]);
    expect(outcome.ms - startupMs).toBeLessThan(EARLY_EXIT_MS);
  });

  it('a metrics port in use', async () => {
    const { server, port } = await listening();
    try {
      const outcome = await weir(['run', 'examples/feedback-counts.ts', '--metrics-port', String(port)], 20_000);
      expect(outcome.code).toBe(1);
      expect(summary(outcome.stderr)).toEqual([`weir: cannot serve HTTP on 127.0.0.1:${port}: the port is in use`]);
      expect(outcome.ms - startupMs).toBeLessThan(EARLY_EXIT_MS);
    } finally {
      server.close();
    }
  });

  it('a job file that does not exist', async () => {
    const outcome = await weir(['run', 'jobs/missing.ts', '--checkpoint-dir', join(dir, 'checkpoints'), '--metrics-port', '0'], 20_000);
    expect(outcome.code).toBe(1);
    expect(summary(outcome.stderr)).toEqual(['weir: job file not found: jobs/missing.ts']);
    expect(outcome.ms - startupMs).toBeLessThan(EARLY_EXIT_MS);
  });
});

describe('weir run: metrics address', () => {
  it.each([
    ['127.0.0.1 by default', [], '127.0.0.1'],
    ['the host asked for (--http-host beside --metrics-port, its earlier name)', ['--http-host', '0.0.0.0'], '0.0.0.0'],
  ])('--metrics-port 0 prints the port it got and serves there, on %s', { timeout: 60_000 }, async (_, hostFlags, host) => {
    let scraped: Promise<string> | undefined;
    const outcome = await weir(['run', 'test/fixtures/metered-job.ts', '--metrics-port', '0', ...hostFlags], 50_000, (stderr) => {
      const port = new RegExp(`^weir: metrics at http://${host.replaceAll('.', '\\.')}:(\\d+)/metrics$`, 'm').exec(stderr)?.[1];
      // Scraped through the loopback address, which 0.0.0.0 includes.
      if (port !== undefined) scraped ??= fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text());
    });
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(outcome.stderr.split('\n').filter((line) => line.startsWith('weir: metrics at'))).toHaveLength(1);
    expect(scraped).toBeDefined();
    expect(await scraped).toMatch(/^weir_operator_records_in_total\{job="metered"/m);
  });
});

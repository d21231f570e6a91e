import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { supervise } from '../../src/testing/supervisor.ts';
import { ROOT } from '../fixtures/weir-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'weir-supervisor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("checkExactlyOnce's supervisor", () => {
  it('starts a second instance planned after the job completed at once, as a re-run that must succeed', { timeout: 60_000 }, async () => {
    const job = join(ROOT, 'test/fixtures/print-job.ts');
    const outcome = await supervise({
      args: ['run', job, '--job-id', 'rerun', '--checkpoint-dir', join(dir, 'checkpoints')],
      env: {},
      // Far after the job's end: without the re-run the fault would not fire, and the run would wait for nothing.
      laterInstancesAfterMs: [10 * 60_000],
      maxProcesses: 4,
      timeoutMs: 50_000,
    });
    expect(outcome).toEqual({ processes: 2, laterInstancesStarted: [true], restarts: 0 });
  });
});

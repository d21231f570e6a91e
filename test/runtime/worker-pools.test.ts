import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runJob, type JobResult } from '../../src/runtime/coordinator.ts';
import type { FailsOnceParams } from '../fixtures/fails-once-job.ts';
import { workDirs } from '../fixtures/work-dirs.ts';

const JOB = fileURLToPath(new URL('../fixtures/fails-once-job.ts', import.meta.url));
const dirs = workDirs('weir-worker-pools-');

const run = (params: FailsOnceParams): Promise<JobResult> => runJob({ jobModule: JOB, params, parallelism: 2, threads: 2 });
const threadsOf = (result: JobResult): Set<number> => new Set(result.operators.map((operator) => operator.threadId));

describe('worker threads kept between runs in one process', () => {
  it('serve the next run after a clean finish, never after a failed attempt, and never under other environment variables', { timeout: 60_000 }, async () => {
    const first = await run({});
    const second = await run({});
    expect(threadsOf(first).size).toBe(2);
    expect(threadsOf(second), 'a run after a clean finish runs on the kept threads').toEqual(threadsOf(first));
    expect(second.outputs.get('ids')).toHaveLength(200);

    // Its first attempt takes the kept threads and fails: the restart gets new ones.
    const restarted = await run({ failMarker: join(dirs(), 'failed') });
    expect(restarted.restarts).toBe(1);
    expect(restarted.outputs.get('ids')).toHaveLength(200);
    expect([...threadsOf(restarted)].filter((id) => threadsOf(second).has(id)), "the failed attempt's threads were not kept").toEqual([]);

    // A thread's process.env is the one it started with: a run under another environment gets new threads.
    process.env['WEIR_WORKER_POOLS_TEST'] = 'changed';
    try {
      const changed = await run({});
      expect([...threadsOf(changed)].filter((id) => threadsOf(restarted).has(id))).toEqual([]);
    } finally {
      delete process.env['WEIR_WORKER_POOLS_TEST'];
    }
  });

  it('that fail while idle (a timer the last run left behind) are ended, and the process goes on', { timeout: 60_000 }, async () => {
    const leftBehind = await run({ throwLaterMs: 500 });
    expect(leftBehind.outputs.get('ids')).toHaveLength(200);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await run({});
    expect([...threadsOf(after)].filter((id) => threadsOf(leftBehind).has(id)), 'the failed threads were ended, not handed on').toEqual([]);
  });
});

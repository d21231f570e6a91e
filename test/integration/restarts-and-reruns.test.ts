import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExactlyOnceOutput, ExactlyOnceSpec } from '../fixtures/exactly-once-job.ts';
import { expectFailureFreeOutput } from '../fixtures/exactly-once-model.ts';
import { publishedRecords, runWeir, unpublishedFiles } from '../fixtures/weir-process.ts';
import { sleep } from '../../src/core/signal.ts';
import { workDirs } from '../fixtures/work-dirs.ts';

const JOB = 'test/fixtures/exactly-once-job.ts';
const workDir = workDirs('weir-reruns-');

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether the job id's directory holds a completed checkpoint (its metadata is written last). */
function hasCheckpoint(jobDir: string): boolean {
  return existsSync(jobDir) && readdirSync(jobDir).some((name) => name.startsWith('chk-') && existsSync(join(jobDir, name, '_metadata')));
}

describe('a job started again', () => {
  it('with --checkpoint-dir and no --job-id, restores after kill -9 and says so', { timeout: 120_000 }, async () => {
    const dir = workDir();
    const checkpoints = join(dir, 'checkpoints');
    const spec: ExactlyOnceSpec = { pipeline: 'keyed', events: 12_000, keys: 11, ratePerSecond: 3_000, windowMs: 100, checkpointIntervalMs: 100, outputDir: join(dir, 'out') };
    const args = ['run', JOB, '--parallelism', '2', '--checkpoint-dir', checkpoints, '--params', JSON.stringify(spec)];
    // The job's name is its id: its checkpoints are in <dir>/exactly-once.
    const killed = await runWeir(args, {}, (child) => {
      void (async () => {
        while (!hasCheckpoint(join(checkpoints, 'exactly-once')) && child.exitCode === null) await sleep(20);
        child.kill('SIGKILL');
      })();
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.stderr).toContain(`weir: no checkpoint for job exactly-once in ${checkpoints}: starting fresh\n`);

    const restarted = await runWeir(args);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stderr).toMatch(new RegExp(`^weir: restoring checkpoint \\d+ of job exactly-once from ${escaped(checkpoints)}$`, 'm'));
    // Restored, not started over: the output is the failure-free one, nothing twice.
    expectFailureFreeOutput(spec, publishedRecords<ExactlyOnceOutput>(spec.outputDir));
    expect(unpublishedFiles(spec.outputDir)).toEqual([]);
  });

  it("with the same job id into the same directory, writes beside the first run's output; another job id is refused", { timeout: 120_000 }, async () => {
    const dir = workDir();
    const spec: ExactlyOnceSpec = { pipeline: 'window', events: 3_000, keys: 5, ratePerSecond: 10_000, windowMs: 100, checkpointIntervalMs: 50, outputDir: join(dir, 'out') };
    const run = (jobId: string) => runWeir(['run', JOB, '--job-id', jobId, '--params', JSON.stringify(spec)]);
    for (let runs = 1; runs <= 2; runs++) {
      const outcome = await run('scores');
      expect(outcome.code, outcome.stderr).toBe(0);
    }
    // Before, the second run published part-<subtask>-<checkpoint> files under the first run's names, replacing them.
    const byRun = new Map<string, string[]>();
    for (const name of readdirSync(spec.outputDir).filter((file) => file.startsWith('part-'))) {
      const runId = /^part-scores-([0-9a-z]{13})-\d+-\d+\.jsonl$/.exec(name)?.[1];
      expect(runId, name).toBeDefined();
      byRun.set(runId!, [...(byRun.get(runId!) ?? []), name]);
    }
    expect(byRun.size).toBe(2);
    for (const names of byRun.values()) {
      expectFailureFreeOutput(spec, names.flatMap((name) => linesOf(join(spec.outputDir, name))));
    }

    const other = await run('other');
    expect(other.code).toBe(1);
    const lines = other.stderr.trim().split('\n').filter((line) => line.startsWith('weir: '));
    expect(lines).toEqual([expect.stringMatching(/^weir: job 'exactly-once' failed: .*holds the output of job 'scores'.*this job is 'other'/)]);
    expect(other.stderr).not.toMatch(/restarting after/);
  });
});

/** One published file's records. */
function linesOf(path: string): ExactlyOnceOutput[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as ExactlyOnceOutput);
}

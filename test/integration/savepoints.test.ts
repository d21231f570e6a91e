import { describe, expect, it } from 'vitest';
import { cpSync, readdirSync, statSync, truncateSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAULTS_VARIABLE } from 'weir/testing';
import type { ExactlyOnceOutput, ExactlyOnceSpec } from '../fixtures/exactly-once-job.ts';
import { expectFailureFreeOutput } from '../fixtures/exactly-once-model.ts';
import { publishedRecords, runWeir, unpublishedFiles } from '../fixtures/weir-process.ts';
import { workDirs } from '../fixtures/work-dirs.ts';

const JOB = 'test/fixtures/exactly-once-job.ts';
const workDir = workDirs('weir-savepoint-');

function specFor(pipeline: ExactlyOnceSpec['pipeline'], outputDir: string): ExactlyOnceSpec {
  return { pipeline, events: 12_000, keys: 23, ratePerSecond: 6_000, windowMs: 400, checkpointIntervalMs: 100, outputDir };
}

function runArgs(spec: ExactlyOnceSpec, parallelism: number, jobId: string, checkpointDir: string, extra: string[] = []): string[] {
  return ['run', JOB, '--parallelism', String(parallelism), '--job-id', jobId, '--checkpoint-dir', checkpointDir, ...extra, '--params', JSON.stringify(spec)];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('savepoints: SIGTERM stops with one, and it restores at another parallelism', () => {
  it.each(['keyed', 'window', 'sliding'] as const)('%s: a savepoint at parallelism 2 restores at 1 and at 3 with the failure-free results', { timeout: 120_000 }, async (pipeline) => {
    const dir = workDir();
    const firstOutput = join(dir, 'out-p2');
    // Stop once output has been published (checkpoints completed), well before the input ends (about 2 s).
    const stopped = await runWeir(runArgs(specFor(pipeline, firstOutput), 2, 'first', join(dir, 'checkpoints')), {}, (child) => {
      void (async () => {
        for (let waited = 0; waited < 20_000; waited += 25) {
          await sleep(25);
          if (readdirSafe(firstOutput).some((name) => name.startsWith('part-'))) break;
        }
        child.kill('SIGTERM');
      })();
    });
    expect(stopped.code, stopped.stderr).toBe(0);
    const savepoint = /stopped with savepoint (\S+)/.exec(stopped.stderr)?.[1];
    expect(savepoint, stopped.stderr).toBeDefined();
    const publishedAtStop = publishedRecords<ExactlyOnceOutput>(firstOutput).length;
    expect(publishedAtStop).toBeGreaterThan(0);

    for (const parallelism of [1, 3]) {
      // Each restore continues its own copy of what the stopped job published.
      const output = join(dir, `out-p${parallelism}`);
      cpSync(firstOutput, output, { recursive: true });
      const spec = specFor(pipeline, output);
      const restored = await runWeir(runArgs(spec, parallelism, `restored-p${parallelism}`, join(dir, 'checkpoints'), ['--from-savepoint', savepoint!]));
      expect(restored.code, restored.stderr).toBe(0);
      expectFailureFreeOutput(spec, publishedRecords<ExactlyOnceOutput>(output));
      expect(unpublishedFiles(output)).toEqual([]);
    }
  });

  it('a job whose stateful operator lost its uid does not start from the savepoint, unless dropping its state is allowed', { timeout: 60_000 }, async () => {
    const dir = workDir();
    const spec = { ...specFor('keyed', join(dir, 'out')), events: 2_000, ratePerSecond: 20_000 };
    const finished = await runWeir(runArgs(spec, 1, 'complete', join(dir, 'checkpoints')));
    expect(finished.code, finished.stderr).toBe(0);
    const checkpoint = join(dir, 'checkpoints', 'complete', readdirSync(join(dir, 'checkpoints', 'complete')).find((name) => name.startsWith('chk-'))!);
    // The windowed pipeline has no 'sequence-per-key' operator: its keyed state has nowhere to go.
    const other = { ...spec, pipeline: 'window' as const };
    const refused = await runWeir(runArgs(other, 1, 'other', join(dir, 'checkpoints'), ['--from-savepoint', checkpoint]));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/weir: the checkpoint holds state of '\w+' \(id sequence-per-key\).*--allow-non-restored-state/);
    const allowed = await runWeir(runArgs(other, 1, 'other', join(dir, 'checkpoints'), ['--from-savepoint', checkpoint, '--allow-non-restored-state']));
    expect(allowed.code, allowed.stderr).toBe(0);
  });
});

describe('sliced windows', () => {
  it('a checkpoint with sliced windows does not restore into the job keeping them whole, and still restores as it was', { timeout: 120_000 }, async () => {
    const dir = workDir();
    const output = join(dir, 'out');
    const checkpoints = join(dir, 'checkpoints');
    const spec = specFor('sliding', output);
    const marker = join(dir, 'killed');
    // Killed mid-input, right after checkpoint 3 completed: its windows are open.
    const killed = await runWeir(runArgs(spec, 2, 'sliced', checkpoints), {
      [FAULTS_VARIABLE]: JSON.stringify([{ point: 'before-publish', hit: 3, action: 'kill', marker }]),
    });
    expect(killed.signal).toBe('SIGKILL');
    const whole = await runWeir(runArgs({ ...spec, keepWholeWindows: true }, 2, 'sliced', checkpoints));
    expect(whole.code).toBe(1);
    expect(whole.stderr).toMatch(/window operator '[\w-]+' restored slices but now keeps whole windows/);
    expect(whole.stderr, 'a restart restores the same state: the job fails at once').not.toMatch(/"restarts":1/);
    const resumed = await runWeir(runArgs(spec, 2, 'sliced', checkpoints));
    expect(resumed.code, resumed.stderr).toBe(0);
    expectFailureFreeOutput(spec, publishedRecords<ExactlyOnceOutput>(output));
  });
});

describe('damaged checkpoints', () => {
  it.each(['truncated', 'flipped byte'] as const)('a %s state file is detected and the checkpoint before it restores', { timeout: 120_000 }, async (damage) => {
    const dir = workDir();
    const output = join(dir, 'out');
    const checkpoints = join(dir, 'checkpoints');
    const spec = specFor('keyed', output);
    const marker = join(dir, 'killed');
    // Killed right after checkpoint 4 completed, before it was published or older ones were removed.
    const killed = await runWeir(runArgs(spec, 2, 'damaged', checkpoints), {
      [FAULTS_VARIABLE]: JSON.stringify([{ point: 'before-publish', hit: 4, action: 'kill', marker }]),
    });
    expect(killed.signal).toBe('SIGKILL');
    const shared = join(checkpoints, 'damaged', 'shared');
    const ownFiles = readdirSync(shared).filter((name) => name.startsWith('4-'));
    const victim = join(shared, ownFiles.sort((a, b) => statSync(join(shared, b)).size - statSync(join(shared, a)).size)[0]!);
    const size = statSync(victim).size;
    expect(size, 'checkpoint 4 wrote no state to damage').toBeGreaterThan(1);
    if (damage === 'truncated') truncateSync(victim, Math.floor(size / 2));
    else {
      const bytes = readFileSync(victim);
      bytes[Math.floor(size / 2)] = bytes[Math.floor(size / 2)]! ^ 0x40;
      writeFileSync(victim, bytes);
    }

    const resumed = await runWeir(runArgs(spec, 2, 'damaged', checkpoints), { WEIR_LOG_LEVEL: 'info' });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/skipping damaged checkpoint 4: checkpoint 4: file shared\/4-\S+ (has \d+ bytes|fails its checksum)/);
    expect(resumed.stderr).toContain('restoring checkpoint 3');
    expectFailureFreeOutput(spec, publishedRecords<ExactlyOnceOutput>(output));
    expect(unpublishedFiles(output)).toEqual([]);
  });
});

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

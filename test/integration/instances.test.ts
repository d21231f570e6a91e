import { describe, expect, it } from 'vitest';
import { cpSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { FAULTS_VARIABLE } from 'weir/testing';
import type { ExactlyOnceOutput, ExactlyOnceSpec } from '../fixtures/exactly-once-job.ts';
import { expectFailureFreeOutput } from '../fixtures/exactly-once-model.ts';
import { publishedRecords, runWeir, unpublishedFiles } from '../fixtures/weir-process.ts';
import { LocalCheckpointStorage } from '../../src/checkpoint/local-storage.ts';
import { sleep } from '../../src/core/signal.ts';
import { workDirs } from '../fixtures/work-dirs.ts';

/**
 * Two instances of one job id and checkpoint directory (a rolling update, a double deploy) and restarts after kills:
 * no instance damages the other's checkpoints, a refused newcomer leaves the running one alone, and a restart that
 * finds no intact checkpoint does not start empty by itself.
 */
const JOB = 'test/fixtures/exactly-once-job.ts';
const workDir = workDirs('weir-instances-');

function specFor(pipeline: ExactlyOnceSpec['pipeline'], outputDir: string, events = 12_000): ExactlyOnceSpec {
  return { pipeline, events, keys: 23, ratePerSecond: 3_000, windowMs: 400, checkpointIntervalMs: 100, outputDir };
}

function runArgs(spec: ExactlyOnceSpec, jobId: string, checkpointDir: string, extra: string[] = []): string[] {
  return ['run', JOB, '--parallelism', '2', '--job-id', jobId, '--checkpoint-dir', checkpointDir, ...extra, '--params', JSON.stringify(spec)];
}

async function untilPublished(outputDir: string, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(25)) {
    if (readdirSafe(outputDir).some((name) => name.startsWith('part-'))) return;
  }
  throw new Error(`nothing was published to ${outputDir} within ${timeoutMs} ms`);
}

/** Every completed checkpoint left in the directory passes its checks (what a restart might restore from). */
async function expectEveryCompletedCheckpointIntact(checkpointDir: string, jobId: string): Promise<number[]> {
  const storage = new LocalCheckpointStorage(checkpointDir, jobId);
  const completed = await storage.completed();
  for (const id of completed) await expect(storage.verify(id), `checkpoint ${id}`).resolves.toBeDefined();
  return completed;
}

describe('a second instance of a running job', () => {
  it('that its restore check refuses exits with one line and leaves the running instance alone', { timeout: 120_000 }, async () => {
    const dir = workDir();
    const checkpoints = join(dir, 'checkpoints');
    // Long enough (about 15 s) that the first instance still runs when the second has started and been refused.
    const spec = { ...specFor('keyed', join(dir, 'out'), 60_000), ratePerSecond: 4_000 };
    const first = runWeir(runArgs(spec, 'shared', checkpoints));
    await untilPublished(spec.outputDir, 30_000);
    // The same job id with a job whose keyed operator is gone: the first instance's checkpoint does not fit it.
    const refused = await runWeir(runArgs(specFor('window', join(dir, 'other-out')), 'shared', checkpoints));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^weir: the checkpoint holds state of .*--allow-non-restored-state\)\n$/);
    const running = await first;
    expect(running.code, running.stderr).toBe(0);
    expectFailureFreeOutput(spec, publishedRecords<ExactlyOnceOutput>(spec.outputDir));
    expect(unpublishedFiles(spec.outputDir)).toEqual([]);
  });
});

describe('two instances started at the same moment', () => {
  // Which instance writes a state file first is up to the scheduler: two rounds make a damaging order likely.
  it.each([1, 2])("the replaced one damages none of the survivor's checkpoints: a restart after killing the survivor restores the newest (round %i)", { timeout: 180_000 }, async () => {
    const dir = workDir();
    const checkpoints = join(dir, 'checkpoints');
    // One deployment started twice: the same job, job id, checkpoint and output directories.
    const spec = specFor('keyed', join(dir, 'out'), 18_000);
    const args = runArgs(spec, 'double', checkpoints);
    // Whichever instance keeps the job is killed right after its fifth checkpoint completed (the other completes none after it is replaced).
    const faults = { [FAULTS_VARIABLE]: JSON.stringify([{ point: 'before-publish', hit: 5, action: 'kill', marker: join(dir, 'killed') }]) };
    const outcomes = await Promise.all([runWeir(args, faults), runWeir(args, faults)]);
    const killed = outcomes.filter((outcome) => outcome.signal === 'SIGKILL');
    const replaced = outcomes.filter((outcome) => outcome.signal !== 'SIGKILL');
    expect(killed.length, outcomes.map((outcome) => outcome.stderr).join('\n')).toBe(1);
    expect(replaced[0]!.code, replaced[0]!.stderr).toBe(1);
    expect(replaced[0]!.stderr).toMatch(/another instance of job 'double' took over its checkpoints/);

    const completed = await expectEveryCompletedCheckpointIntact(checkpoints, 'double');
    expect(completed.length).toBeGreaterThan(0);
    const restarted = await runWeir(args, { WEIR_LOG_LEVEL: 'info' });
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stderr).not.toMatch(/skipping damaged checkpoint/);
    expect(restarted.stderr).toContain(`restoring checkpoint ${completed[0]}`);
    expectFailureFreeOutput(spec, publishedRecords<ExactlyOnceOutput>(spec.outputDir));
    await expectEveryCompletedCheckpointIntact(checkpoints, 'double');
  });
});

describe('a restart that finds no intact checkpoint', () => {
  it('is refused when checkpoints of the job id completed before, and starts empty only when told to', { timeout: 120_000 }, async () => {
    const dir = workDir();
    const checkpoints = join(dir, 'checkpoints');
    const spec = specFor('keyed', join(dir, 'out'));
    const killed = await runWeir(runArgs(spec, 'lost', checkpoints), {
      [FAULTS_VARIABLE]: JSON.stringify([{ point: 'before-publish', hit: 3, action: 'kill', marker: join(dir, 'killed') }]),
    });
    expect(killed.signal).toBe('SIGKILL');
    const published = publishedRecords<ExactlyOnceOutput>(spec.outputDir).length;
    expect(published).toBeGreaterThan(0);
    // The disk lost every state file: no checkpoint can be restored.
    const shared = join(checkpoints, 'lost', 'shared');
    for (const name of readdirSync(shared)) truncateSync(join(shared, name), 0);

    const refused = await runWeir(runArgs(spec, 'lost', checkpoints));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^weir: job 'lost' has completed checkpoints recorded in ${escape(join(checkpoints, 'lost'))} but none of them is intact: restore from a savepoint .*--allow-fresh-start`, 'm'),
    );
    expect(publishedRecords(spec.outputDir).length, 'the refused start published nothing').toBe(published);

    const fresh = await runWeir(runArgs(spec, 'lost', checkpoints, ['--allow-fresh-start']));
    expect(fresh.code, fresh.stderr).toBe(0);
  });
});

describe('unfinished checkpoints', () => {
  it('a checkpoint directory a kill left without metadata is removed by the next run, with its state files', { timeout: 120_000 }, async () => {
    const dir = workDir();
    const checkpoints = join(dir, 'checkpoints');
    const spec = specFor('keyed', join(dir, 'out'));
    const killed = await runWeir(runArgs(spec, 'unfinished', checkpoints), {
      [FAULTS_VARIABLE]: JSON.stringify([{ point: 'checkpoint-reserved', hit: 3, action: 'kill', marker: join(dir, 'killed') }]),
    });
    expect(killed.signal).toBe('SIGKILL');
    const jobDir = join(checkpoints, 'unfinished');
    const storage = new LocalCheckpointStorage(checkpoints, 'unfinished');
    const [unfinished] = (await storage.checkpointDirs()).filter((id) => !readdirSync(join(jobDir, `chk-${id}`)).includes('_metadata'));
    expect(unfinished, 'the kill left a checkpoint directory without metadata').toBeDefined();
    expect(readdirSync(join(jobDir, 'shared')).some((name) => name.startsWith(`${unfinished}-`))).toBe(true);

    const resumed = await runWeir(runArgs(spec, 'unfinished', checkpoints));
    expect(resumed.code, resumed.stderr).toBe(0);
    expectFailureFreeOutput(spec, publishedRecords<ExactlyOnceOutput>(spec.outputDir));
    const completed = await expectEveryCompletedCheckpointIntact(checkpoints, 'unfinished');
    expect(await storage.checkpointDirs()).toEqual(completed);
    expect(readdirSync(join(jobDir, 'shared')).filter((name) => name.startsWith(`${unfinished}-`))).toEqual([]);
    expect(readdirSync(jobDir).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});

describe('savepoints', () => {
  it('restore from a copy in another directory after the checkpoint directory is gone', { timeout: 120_000 }, async () => {
    const dir = workDir();
    const checkpoints = join(dir, 'checkpoints');
    const firstOutput = join(dir, 'out-first');
    const stopped = await runWeir(runArgs(specFor('keyed', firstOutput), 'moved', checkpoints), {}, (child) => {
      void untilPublished(firstOutput, 30_000)
        .catch(() => {})
        .then(() => child.kill('SIGTERM'));
    });
    expect(stopped.code, stopped.stderr).toBe(0);
    const savepoint = /stopped with savepoint (\S+)/.exec(stopped.stderr)?.[1];
    expect(savepoint, stopped.stderr).toBeDefined();

    const copy = join(dir, 'kept savepoints', 'before the upgrade');
    cpSync(savepoint!, copy, { recursive: true });
    rmSync(checkpoints, { recursive: true });
    const output = join(dir, 'out-restored');
    cpSync(firstOutput, output, { recursive: true });
    const spec = specFor('keyed', output);
    const restored = await runWeir(runArgs(spec, 'moved-restored', join(dir, 'new-checkpoints'), ['--from-savepoint', copy]));
    expect(restored.code, restored.stderr).toBe(0);
    expectFailureFreeOutput(spec, publishedRecords<ExactlyOnceOutput>(output));
    expect(unpublishedFiles(output)).toEqual([]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SinkContext } from '../../src/connectors/sink.ts';
import { type FileCommittable, TransactionalFileSink } from '../../src/connectors/transactional-file-sink.ts';
import { timeOrderedId } from '../../src/core/file-names.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** One process start of a job: its instance id orders it after the ones made before. */
interface Instance {
  readonly jobId: string;
  readonly runId: string;
  readonly instanceId: string;
}

let clock = Date.now();
const instance = (jobId = 'test', runId = 'run0000000001'): Instance => ({ jobId, runId, instanceId: timeOrderedId(clock++) });

const context = (of: Instance, subtaskIndex: number, parallelism: number): SinkContext => ({
  jobName: 'test',
  operatorName: 'sink',
  operatorId: 'sink',
  checkpointIntervalMs: undefined,
  subtaskIndex,
  parallelism,
  threadId: 0,
  ...of,
});

function directory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'weir-txn-sink-'));
  dirs.push(dir);
  return dir;
}

/** What a reader of the directory sees: the published files' lines, in file order. */
function visible(dir: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const name of readdirSync(dir).filter((n) => !n.startsWith('.')).sort()) {
    out[name] = readFileSync(join(dir, name), 'utf8').trim().split('\n').filter(Boolean).map(Number);
  }
  return out;
}

const hidden = (dir: string): string[] => readdirSync(dir).filter((name) => name.startsWith('.') && name !== '.weir-sink.json');

describe('TransactionalFileSink', () => {
  it('publishes each epoch when its checkpoint completes, and nothing before', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    const first = instance();
    const writer = sink.createWriter(context(first, 0, 1));
    const committer = sink.createCommitter(context(first, 0, 1));
    await writer.open?.();
    writer.write(1);
    writer.write(2);
    await writer.flush?.();
    const one = await writer.prepareCommit(1);
    writer.write(3);
    await writer.flush?.();
    expect(visible(dir)).toEqual({});
    await committer.commit(one);
    expect(visible(dir)).toEqual({ 'part-test-run0000000001-0-1.jsonl': [1, 2] });
    // A restored job commits the restored checkpoint's committables again: nothing changes.
    await committer.commit(one);
    expect(visible(dir)).toEqual({ 'part-test-run0000000001-0-1.jsonl': [1, 2] });
    const two = await writer.prepareCommit(2);
    expect(await writer.prepareCommit(3)).toEqual([]);
    await committer.commit(two);
    expect(visible(dir)).toEqual({ 'part-test-run0000000001-0-1.jsonl': [1, 2], 'part-test-run0000000001-0-2.jsonl': [3] });
  });

  it('after a crash between completion and publish, the restore publishes once and clears what came after', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    // The first process, at parallelism 2: checkpoint 1 completes but the process dies before publishing it; one
    // subtask had prepared checkpoint 2 already, both had written more.
    const killed = instance();
    const writers = [0, 1].map((s) => sink.createWriter(context(killed, s, 2)));
    const stored: FileCommittable[] = [];
    for (const [s, writer] of writers.entries()) {
      await writer.open?.();
      writer.write(10 + s);
      await writer.flush?.();
      stored.push(...(await writer.prepareCommit(1)));
      writer.write(20 + s);
      await writer.flush?.();
    }
    await writers[0]!.prepareCommit(2);
    writers[1]!.write(31);
    await writers[1]!.flush?.();
    for (const writer of writers) await writer.close?.();

    // The next process restores checkpoint 1 at parallelism 3: the committers publish checkpoint 1; the killed
    // process's other files go once a checkpoint of the new one completes.
    const next = instance();
    for (const s of [0, 1, 2]) await sink.createWriter(context(next, s, 3), 1).open?.();
    await sink.createCommitter(context(next, 0, 3)).commit(stored);
    expect(visible(dir)).toEqual({ 'part-test-run0000000001-0-1.jsonl': [10], 'part-test-run0000000001-1-1.jsonl': [11] });
    expect(hidden(dir)).toHaveLength(2);
    for (const s of [0, 1, 2]) await sink.createCommitter(context(next, s, 3)).checkpointCompleted?.(2);
    expect(hidden(dir)).toEqual([]);
  });

  it('a restarted attempt of the same process clears what its earlier attempt wrote after the checkpoint it replays from', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    const process = instance();
    const first = sink.createWriter(context(process, 0, 1));
    await first.open?.();
    first.write(1);
    const prepared = await first.prepareCommit(1);
    first.write(2);
    await first.prepareCommit(2);
    first.write(3);
    await first.flush?.();
    await first.close?.();
    expect(hidden(dir)).toHaveLength(3);
    await sink.createWriter(context(process, 0, 1), 1).open?.();
    expect(hidden(dir)).toEqual([prepared[0]!.from]);
  });

  it('a restoring subtask that opens late leaves the files its new siblings are writing alone', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    const process = instance();
    const early = sink.createWriter(context(process, 0, 2), 5);
    await early.open?.();
    early.write(1);
    await early.flush?.();
    await sink.createWriter(context(process, 1, 2), 5).open?.();
    await sink.createCommitter(context(process, 0, 2)).commit(await early.prepareCommit(6));
    expect(visible(dir)).toEqual({ 'part-test-run0000000001-0-6.jsonl': [1] });
  });

  // The failure: an instance that had been taken over restarted and deleted the running instance's pending
  // file of a completed checkpoint, so that every later restart of the owner failed with "cannot publish".
  it('never deletes the unpublished output of an instance started after it, whatever it restarts from', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    const older = instance();
    const newer = instance();
    const owner = sink.createWriter(context(newer, 0, 1), 12);
    await owner.open?.();
    owner.write(13);
    const thirteen = await owner.prepareCommit(13);
    owner.write(14);
    await owner.flush?.();
    // The older instance restarts from an earlier checkpoint (or none) and even completes one of its own.
    for (const replayFrom of [0, 5]) await sink.createWriter(context(older, 0, 1), replayFrom).open?.();
    await sink.createCommitter(context(older, 0, 1)).checkpointCompleted?.(6);
    expect(hidden(dir)).toHaveLength(2);
    await sink.createCommitter(context(newer, 0, 1)).commit(thirteen);
    expect(visible(dir)).toEqual({ 'part-test-run0000000001-0-13.jsonl': [13] });
  });

  it('publishing stays idempotent when a crash came between the final name and the removal of the pending one', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    const process = instance();
    const writer = sink.createWriter(context(process, 0, 1));
    await writer.open?.();
    writer.write(7);
    const prepared = await writer.prepareCommit(1);
    linkSync(join(dir, prepared[0]!.from), join(dir, prepared[0]!.to));
    await sink.createCommitter(context(instance(), 0, 1)).commit(prepared);
    expect(visible(dir)).toEqual({ 'part-test-run0000000001-0-1.jsonl': [7] });
    expect(hidden(dir)).toEqual([]);
  });

  it('a second run of the job writes beside the first, under its own run id', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    for (const [run, value] of [['run0000000001', 1], ['run0000000002', 2]] as const) {
      const process = instance('test', run);
      const writer = sink.createWriter(context(process, 0, 1));
      await writer.open?.();
      writer.write(value);
      await sink.createCommitter(context(process, 0, 1)).commit(await writer.prepareCommit(1));
    }
    expect(visible(dir)).toEqual({ 'part-test-run0000000001-0-1.jsonl': [1], 'part-test-run0000000002-0-1.jsonl': [2] });
  });

  it("refuses a directory that another job id writes, unless told to replace that job's output", async () => {
    const dir = directory();
    const first = instance('first', 'run0000000001');
    const writer = new TransactionalFileSink<number>({ directory: dir }).createWriter(context(first, 0, 1));
    await writer.open?.();
    writer.write(1);
    await new TransactionalFileSink<number>({ directory: dir }).createCommitter(context(first, 0, 1)).commit(await writer.prepareCommit(1));
    writer.write(2);
    await writer.flush?.();

    const second = instance('second', 'run0000000002');
    const refused = new TransactionalFileSink<number>({ directory: dir }).createWriter(context(second, 0, 1));
    await expect(refused.open?.()).rejects.toThrow(/holds the output of job 'first'.*this job is 'second'.*--job-id first.*replace: true/);
    expect(visible(dir)).toEqual({ 'part-first-run0000000001-0-1.jsonl': [1] });

    // A restore of the first job's savepoint under another id continues its run: it may write there.
    await new TransactionalFileSink<number>({ directory: dir }).createWriter(context(instance('third', 'run0000000001'), 0, 1)).open?.();

    const replacing = new TransactionalFileSink<number>({ directory: dir, replace: true }).createWriter(context(second, 0, 1));
    await replacing.open?.();
    expect(readdirSync(dir)).toEqual(['.weir-sink.json']);
    expect(JSON.parse(readFileSync(join(dir, '.weir-sink.json'), 'utf8'))).toMatchObject({ jobId: 'second', runId: 'run0000000002' });
  });

  it('abort throws a prepared epoch away; a committable whose file vanished fails loudly', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    const process = instance();
    const writer = sink.createWriter(context(process, 0, 1));
    await writer.open?.();
    writer.write(1);
    const prepared = await writer.prepareCommit(1);
    await sink.createCommitter(context(process, 0, 1)).abort(prepared);
    expect(hidden(dir)).toEqual([]);
    expect(existsSync(join(dir, prepared[0]!.to))).toBe(false);
    await expect(sink.createCommitter(context(process, 0, 1)).commit(prepared)).rejects.toThrow(/cannot publish/);
  });
});

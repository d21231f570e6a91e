import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FileCommittable, TransactionalFileSink } from '../../src/connectors/transactional-file-sink.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const context = (subtaskIndex: number, parallelism: number) => ({ jobName: 'test', jobId: 'test', operatorName: 'sink', operatorId: 'sink', checkpointIntervalMs: undefined, subtaskIndex, parallelism, threadId: 0 });

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

describe('TransactionalFileSink', () => {
  it('publishes each epoch when its checkpoint completes, and nothing before', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    const writer = sink.createWriter(context(0, 1));
    const committer = sink.createCommitter();
    await writer.open?.();
    writer.write(1);
    writer.write(2);
    await writer.flush?.();
    const first = await writer.prepareCommit(1);
    writer.write(3);
    await writer.flush?.();
    expect(visible(dir)).toEqual({});
    await committer.commit(first);
    expect(visible(dir)).toEqual({ 'part-0-1.jsonl': [1, 2] });
    // A restored job commits the restored checkpoint's committables again: nothing changes.
    await committer.commit(first);
    expect(visible(dir)).toEqual({ 'part-0-1.jsonl': [1, 2] });
    const second = await writer.prepareCommit(2);
    expect(await writer.prepareCommit(3)).toEqual([]);
    await committer.commit(second);
    expect(visible(dir)).toEqual({ 'part-0-1.jsonl': [1, 2], 'part-0-2.jsonl': [3] });
  });

  it('after a crash between completion and publish, the restore publishes once and clears what came after', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    // The first attempt, at parallelism 2: checkpoint 1 completes but the process dies before publishing it; one
    // subtask had prepared checkpoint 2 already, both had written more.
    const writers = [0, 1].map((s) => sink.createWriter(context(s, 2)));
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

    // The restart restores checkpoint 1 at parallelism 3: writers clear, the committer publishes checkpoint 1.
    for (const s of [0, 1, 2]) await sink.createWriter(context(s, 3), 1).open?.();
    await sink.createCommitter().commit(stored);
    expect(visible(dir)).toEqual({ 'part-0-1.jsonl': [10], 'part-1-1.jsonl': [11] });
    expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('a restoring subtask that opens late leaves the files its new siblings are writing alone', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    const early = sink.createWriter(context(0, 2), 5);
    await early.open?.();
    early.write(1);
    await early.flush?.();
    await sink.createWriter(context(1, 2), 5).open?.();
    await sink.createCommitter().commit(await early.prepareCommit(6));
    expect(visible(dir)).toEqual({ 'part-0-6.jsonl': [1] });
  });

  it('abort throws a prepared epoch away; a committable whose file vanished fails loudly', async () => {
    const dir = directory();
    const sink = new TransactionalFileSink<number>({ directory: dir });
    const writer = sink.createWriter(context(0, 1));
    await writer.open?.();
    writer.write(1);
    const prepared = await writer.prepareCommit(1);
    await sink.createCommitter().abort(prepared);
    expect(readdirSync(dir)).toEqual([]);
    await expect(sink.createCommitter().commit(prepared)).rejects.toThrow(/cannot publish/);
  });
});

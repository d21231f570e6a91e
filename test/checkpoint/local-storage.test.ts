import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCheckpointStorage } from '../../src/checkpoint/local-storage.ts';
import { latestRestorable } from '../../src/checkpoint/restore-point.ts';
import { filesOf, restoredFileOf, restorePointOf, storageAt, withKeyedFiles, type JobCheckpointState } from '../../src/checkpoint/snapshot-state.ts';
import { type CheckpointMetadata, CheckpointTakenError, CorruptCheckpointError, type StoredFile } from '../../src/checkpoint/storage.ts';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function newRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'weir-checkpoints-'));
  roots.push(root);
  return root;
}

function storage(writer = 'aaaa.1', root = newRoot()): LocalCheckpointStorage {
  return new LocalCheckpointStorage(root, 'job-1', { writer });
}

async function complete(s: LocalCheckpointStorage, id: number, files: readonly StoredFile[], owner?: string): Promise<void> {
  await s.reserve(id);
  await s.commit(metadata(id, files), owner);
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const metadata = (checkpointId: number, files: readonly StoredFile[]): CheckpointMetadata => ({
  checkpointId,
  kind: 'checkpoint',
  triggeredAt: 1_000 * checkpointId,
  files,
  state: { sources: [checkpointId] },
});

/** Checkpoints 1..n, each with one file of its own and (incrementally) every earlier checkpoint's file. */
async function chain(s: LocalCheckpointStorage, n: number): Promise<StoredFile[]> {
  const files: StoredFile[] = [];
  for (let id = 1; id <= n; id++) {
    files.push(await s.writeFile(id, 'state', bytes(`state of ${id}`)));
    await complete(s, id, [...files]);
  }
  return files;
}

describe('LocalCheckpointStorage', () => {
  it('round-trips files and metadata; completed lists newest first', async () => {
    const s = storage();
    const files = await chain(s, 3);
    expect(await s.completed()).toEqual([3, 2, 1]);
    const read = await s.verify(3);
    expect(read).toEqual(metadata(3, files));
    expect(new TextDecoder().decode(await s.readFile(3, files[1]!))).toBe('state of 2');
  });

  it('a checkpoint whose metadata was never committed does not exist, whatever files it wrote', async () => {
    const s = storage();
    await chain(s, 1);
    await s.writeFile(2, 'state', bytes('half'));
    // A crash mid-commit leaves at most the temporary metadata file.
    mkdirSync(join(s.jobDir, 'chk-2'));
    writeFileSync(join(s.jobDir, 'chk-2', '_metadata.tmp'), '{"format":1,"sha');
    expect(await s.completed()).toEqual([1]);
    expect((await latestRestorable(s, () => {}))?.checkpointId).toBe(1);
  });

  it('detects a truncated file, a changed byte, a missing file and damaged metadata', async () => {
    const s = storage();
    const [file] = await chain(s, 1);
    const path = join(s.jobDir, file!.path);
    const original = readFileSync(path);

    truncateSync(path, 3);
    await expect(s.verify(1)).rejects.toThrow(/has 3 bytes, expected/);

    const flipped = Buffer.from(original);
    flipped[0] = flipped[0]! ^ 1;
    writeFileSync(path, flipped);
    await expect(s.verify(1)).rejects.toThrow(/fails its checksum/);

    rmSync(path);
    await expect(s.verify(1)).rejects.toThrow(/is missing/);

    writeFileSync(path, original);
    const metadataPath = join(s.jobDir, 'chk-1', '_metadata');
    const text = readFileSync(metadataPath, 'utf8');
    writeFileSync(metadataPath, text.slice(0, text.length - 10));
    await expect(s.readMetadata(1)).rejects.toBeInstanceOf(CorruptCheckpointError);
    // The body is valid JSON with one value changed: only the checksum can tell.
    expect(text).toContain('1000');
    writeFileSync(metadataPath, text.replace('1000', '1001'));
    await expect(s.readMetadata(1)).rejects.toThrow(/fails its checksum/);
    writeFileSync(metadataPath, text);
    await expect(s.verify(1)).resolves.toEqual(metadata(1, [file!]));
  });

  it('restores from the checkpoint before a damaged one, and says why', async () => {
    const s = storage();
    const files = await chain(s, 3);
    truncateSync(join(s.jobDir, files[2]!.path), 1);
    const warnings: string[] = [];
    const chosen = await latestRestorable(s, (id, reason) => warnings.push(`${id}: ${reason}`));
    expect(chosen?.checkpointId).toBe(2);
    expect(warnings).toEqual([expect.stringMatching(/^3: checkpoint 3: file shared\/3-aaaa\.1-state has 1 bytes/)]);
    // Checkpoint 2 shares checkpoint 1's file: damaging it leaves only a fresh start.
    truncateSync(join(s.jobDir, files[0]!.path), 0);
    expect(await latestRestorable(s, () => {})).toBeUndefined();
  });

  it('retain keeps the newest checkpoints and every file they reference, and spares a checkpoint in progress', async () => {
    const s = storage();
    await chain(s, 4);
    const orphan = await s.writeFile(2, 'dropped-operator', bytes('nobody references this'));
    const inProgress = await s.writeFile(5, 'state', bytes('being written'));
    await s.retain(2);
    expect(await s.completed()).toEqual([4, 3]);
    // Checkpoint 3 and 4 are incremental over 1 and 2: all four state files stay.
    await expect(s.verify(3)).resolves.toBeDefined();
    await expect(s.verify(4)).resolves.toBeDefined();
    const shared = readdirSync(join(s.jobDir, 'shared'));
    expect(shared).not.toContain(orphan.path.split('/')[1]);
    expect(shared).toContain(inProgress.path.split('/')[1]);
  });

  it('retain deletes files only the dropped checkpoints referenced', async () => {
    const s = storage();
    const full1 = await s.writeFile(1, 'state', bytes('one'));
    await complete(s, 1, [full1]);
    const full2 = await s.writeFile(2, 'state', bytes('two'));
    await complete(s, 2, [full2]);
    await s.retain(1);
    expect(readdirSync(join(s.jobDir, 'shared'))).toEqual(['2-aaaa.1-state']);
    expect(await s.completed()).toEqual([2]);
  });

  it('abort removes what this writer wrote for an unfinished checkpoint, and nothing of a completed one', async () => {
    const s = storage();
    await chain(s, 1);
    await s.writeFile(2, 'a', bytes('a'));
    await s.writeFile(2, 'b', bytes('b'));
    await s.reserve(2);
    await s.abort(2);
    expect(readdirSync(join(s.jobDir, 'shared'))).toEqual(['1-aaaa.1-state']);
    expect(await s.checkpointDirs()).toEqual([1]);
    await s.abort(1);
    await expect(s.verify(1)).resolves.toBeDefined();
  });

  it('writes a file from chunks and streams it back; a damaged file fails the stream at its end', async () => {
    const s = storage();
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 5; i++) yield bytes(`chunk ${i};`.repeat(100_000));
    }
    const file = await s.writeFile(1, 'big', chunks());
    expect(file.bytes).toBe(5 * "chunk 0;".length * 100_000);
    const read: Uint8Array[] = [];
    for await (const chunk of s.readChunks(1, file)) read.push(chunk);
    expect(Buffer.concat(read).toString()).toBe(Array.from({ length: 5 }, (_, i) => `chunk ${i};`.repeat(100_000)).join(''));

    const path = join(s.jobDir, file.path);
    const damaged = readFileSync(path);
    damaged[damaged.length - 1] = damaged[damaged.length - 1]! ^ 1;
    writeFileSync(path, damaged);
    const drain = async (): Promise<void> => {
      for await (const chunk of s.readChunks(1, file)) void chunk;
    };
    await expect(drain()).rejects.toThrow(/fails its checksum/);
    truncateSync(path, 10);
    await expect(drain()).rejects.toThrow(/has 10 bytes/);
  });

  it('refuses unsafe names and ids', async () => {
    const s = storage();
    expect(() => new LocalCheckpointStorage('/tmp', '../escape')).toThrow(TypeError);
    expect(() => new LocalCheckpointStorage('/tmp', 'job', { writer: 'a/b' })).toThrow(TypeError);
    await expect(s.writeFile(1, 'a/b', bytes(''))).rejects.toThrow(TypeError);
    await expect(s.writeFile(0, 'a', bytes(''))).rejects.toThrow(RangeError);
    await expect(s.retain(0)).rejects.toThrow(RangeError);
  });

  it('names the last instance that claimed the job as the owner of its checkpoints', async () => {
    const s = storage();
    expect(await s.owner()).toBeUndefined();
    await s.claim('first');
    expect(await s.owner()).toBe('first');
    await s.claim('second');
    expect(await s.owner()).toBe('second');
    expect(readdirSync(s.jobDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('LocalCheckpointStorage shared by two instances of one job id', () => {
  it('gives each writer its own names for the same checkpoint id and file name, and never overwrites a file', async () => {
    const root = newRoot();
    const first = storage('aaaa.1', root);
    const second = storage('bbbb.1', root);
    const mine = await first.writeFile(1, 'window-0.snap', bytes('first'));
    const theirs = await second.writeFile(1, 'window-0.snap', bytes('second'));
    expect(mine.path).not.toBe(theirs.path);
    await complete(first, 1, [mine]);
    expect(new TextDecoder().decode(await first.readFile(1, mine))).toBe('first');
    // The same writer writing the same name again is a bug: it fails instead of replacing the file.
    await expect(first.writeFile(1, 'window-0.snap', bytes('again'))).rejects.toThrow(/EEXIST/);
    await expect(first.verify(1)).resolves.toBeDefined();
  });

  it('lets one writer only complete a checkpoint id', async () => {
    const root = newRoot();
    const first = storage('aaaa.1', root);
    const second = storage('bbbb.1', root);
    await first.reserve(4);
    await expect(second.reserve(4)).rejects.toBeInstanceOf(CheckpointTakenError);
    await expect(second.commit(metadata(4, []))).rejects.toThrow(/not reserved by bbbb\.1/);
    await first.commit(metadata(4, []));
    expect(await second.completed()).toEqual([4]);
  });

  it('completes nothing once another instance has claimed the checkpoints', async () => {
    const root = newRoot();
    const first = storage('aaaa.1', root);
    await first.claim('aaaa');
    const file = await first.writeFile(1, 'state', bytes('one'));
    await first.reserve(1);
    await storage('bbbb.1', root).claim('bbbb');
    const refused = first.commit(metadata(1, [file]), 'aaaa');
    await expect(refused).rejects.toBeInstanceOf(CheckpointTakenError);
    await expect(refused).rejects.toMatchObject({ takenOver: true });
    expect(await first.completed()).toEqual([]);
    await first.abort(1);
    expect(await first.checkpointDirs()).toEqual([]);
    expect(readdirSync(join(first.jobDir, 'shared'))).toEqual([]);
  });

  it("a fenced writer's abort and retention leave the other writer's checkpoint whole", async () => {
    const root = newRoot();
    const survivor = storage('bbbb.1', root);
    const fenced = storage('aaaa.1', root);
    const survivorFile = await survivor.writeFile(3, 'state', bytes('survivor'));
    await fenced.writeFile(3, 'state', bytes('fenced'));
    await complete(survivor, 3, [survivorFile]);
    await fenced.abort(3);
    await expect(survivor.verify(3)).resolves.toBeDefined();
    await fenced.retain(1);
    await expect(survivor.verify(3)).resolves.toBeDefined();
  });

  it('removes unfinished checkpoints and unreferenced files older than the newest completed one, and spares newer ones', async () => {
    const root = newRoot();
    const dead = storage('aaaa.1', root);
    const owner = storage('bbbb.1', root);
    // The dead instance completed 1, reserved 2 and wrote files for 2 and 3 before it was killed.
    const one = await dead.writeFile(1, 'state', bytes('one'));
    await complete(dead, 1, [one]);
    await dead.writeFile(2, 'state', bytes('two'));
    await dead.reserve(2);
    await dead.writeFile(5, 'state', bytes('five, maybe still being written'));
    const four = await owner.writeFile(4, 'state', bytes('four'));
    await complete(owner, 4, [four]);
    await owner.removeAbandoned();
    expect(await owner.checkpointDirs()).toEqual([4, 1]);
    expect(readdirSync(join(owner.jobDir, 'shared')).sort()).toEqual(['1-aaaa.1-state', '4-bbbb.1-state', '5-aaaa.1-state']);
    await owner.retain(1);
    expect(await owner.checkpointDirs()).toEqual([4]);
    expect(readdirSync(join(owner.jobDir, 'shared')).sort()).toEqual(['4-bbbb.1-state', '5-aaaa.1-state']);
    expect(readdirSync(owner.jobDir).filter((name) => name.startsWith('.removed'))).toEqual([]);
  });

  it('reports the highest id anyone used, and remembers that a checkpoint completed', async () => {
    const root = newRoot();
    const s = storage('aaaa.1', root);
    expect(await s.highestId()).toBe(0);
    expect(await s.everCompleted()).toBe(false);
    await s.writeFile(7, 'state', bytes('seven'));
    expect(await s.highestId()).toBe(7);
    await complete(s, 2, []);
    expect(await s.everCompleted()).toBe(true);
    rmSync(join(s.jobDir, 'chk-2'), { recursive: true });
    expect(await s.everCompleted()).toBe(true);
  });
});

describe('LocalCheckpointStorage savepoints', () => {
  it('adopts its files into its own directory, so that a copy elsewhere restores without the job directory', async () => {
    const root = newRoot();
    const s = storage('aaaa.1', root);
    const file = await s.writeFile(9, 'window-0.snap', bytes('savepoint state'));
    await s.reserve(9);
    const adopted = await s.adopt(9, [file]);
    const moved = adopted.get(file.path)!;
    expect(moved.path).toBe('chk-9/9-aaaa.1-window-0.snap');
    await s.commit({ ...metadata(9, [moved]), kind: 'savepoint' });
    expect(existsSync(join(s.jobDir, file.path))).toBe(false);
    await expect(s.verify(9)).resolves.toBeDefined();

    const copy = join(newRoot(), 'my savepoint');
    cpSync(join(s.jobDir, 'chk-9'), copy, { recursive: true });
    rmSync(root, { recursive: true });
    const restored = LocalCheckpointStorage.savepoint(copy);
    const read = await restored.verify(0);
    expect(read.checkpointId).toBe(9);
    expect(new TextDecoder().decode(await restored.readFile(9, read.files[0]!))).toBe('savepoint state');
  });

  it("keeps an operator's own files with a savepoint: its state names them by their old paths and a restore finds them by name", async () => {
    const root = newRoot();
    const s = storage('aaaa.1', root);
    const file = await s.writeFile(4, 'sink-1a2b3c4d-0-epoch-3', bytes('epoch 3 records'));
    const subtask = { operator: [[3, [{ owner: 0, epoch: 3, records: 1, file }]]], files: [file] };
    const state: JobCheckpointState = { jobName: 'job', maxParallelism: 128, operators: { sink: { name: 'sink', parallelism: 1, subtasks: [subtask] } } };
    expect(filesOf(state)).toEqual([file]);
    await s.reserve(4);
    const adopted = withKeyedFiles(state, await s.adopt(4, filesOf(state)));
    await s.commit({ ...metadata(4, filesOf(adopted)), kind: 'savepoint', state: adopted });

    const copy = join(newRoot(), 'moved savepoint');
    cpSync(join(s.jobDir, 'chk-4'), copy, { recursive: true });
    rmSync(root, { recursive: true });
    const target = { root: '', jobId: '', savepointDir: copy };
    const restore = restorePointOf(target, await LocalCheckpointStorage.savepoint(copy).verify(0));
    // The operator's state still names the file where it was written; the restore finds where it is now.
    const named = (restore.state.operators['sink']!.subtasks[0]!.operator as [number, { file: StoredFile }[]][])[0]![1][0]!.file;
    expect(named.path).toBe(file.path);
    const found = restoredFileOf(restore, named)!;
    expect(found.path).toBe(`chk-4/${file.path.slice('shared/'.length)}`);
    const chunks: Uint8Array[] = [];
    for await (const chunk of storageAt(target).readChunks(4, found)) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('epoch 3 records');
    expect(restoredFileOf(restore, { ...named, sha256: '0'.repeat(64) })).toBeUndefined();
  });
});

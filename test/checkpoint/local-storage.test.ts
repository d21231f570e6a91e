import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCheckpointStorage } from '../../src/checkpoint/local-storage.ts';
import { latestRestorable } from '../../src/checkpoint/restore-point.ts';
import { type CheckpointMetadata, CorruptCheckpointError, type StoredFile } from '../../src/checkpoint/storage.ts';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function storage(): LocalCheckpointStorage {
  const root = mkdtempSync(join(tmpdir(), 'weir-checkpoints-'));
  roots.push(root);
  return new LocalCheckpointStorage(root, 'job-1');
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
    await s.commit(metadata(id, [...files]));
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
    expect(warnings).toEqual([expect.stringMatching(/^3: checkpoint 3: file shared\/3-state has 1 bytes/)]);
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
    await s.commit(metadata(1, [full1]));
    const full2 = await s.writeFile(2, 'state', bytes('two'));
    await s.commit(metadata(2, [full2]));
    await s.retain(1);
    expect(readdirSync(join(s.jobDir, 'shared'))).toEqual(['2-state']);
    expect(await s.completed()).toEqual([2]);
  });

  it('abort removes what an unfinished checkpoint wrote and refuses a completed one', async () => {
    const s = storage();
    await chain(s, 1);
    await s.writeFile(2, 'a', bytes('a'));
    await s.writeFile(2, 'b', bytes('b'));
    await s.abort(2);
    expect(readdirSync(join(s.jobDir, 'shared'))).toEqual(['1-state']);
    await expect(s.abort(1)).rejects.toThrow(/is complete/);
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

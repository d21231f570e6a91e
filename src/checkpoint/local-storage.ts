import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory, writeDurably } from '../core/durable-fs.ts';
import { type CheckpointMetadata, type CheckpointStorage, CorruptCheckpointError, type StoredFile } from './storage.ts';

const METADATA = '_metadata';
/** The instance that writes this job id's checkpoints (see CheckpointStorage.claim). */
const OWNER = '_owner';
const SHARED = 'shared';
/** Bumped when the metadata layout changes, so an old reader refuses instead of misreading. */
const FORMAT = 1;
const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

function chunksOf(data: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Iterable<Uint8Array> | AsyncIterable<Uint8Array> {
  return data instanceof Uint8Array ? [data] : data;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Checkpoints in a local directory, in the layout storage.ts describes. The metadata file is JSON:
 * `{"format":1,"sha256":<hex of body>,"body":<metadata as a JSON string>}`; it is written to a temporary name,
 * fsynced, renamed into place and the directory fsynced, so it is either whole or absent.
 */
export class LocalCheckpointStorage implements CheckpointStorage {
  readonly jobDir: string;

  constructor(root: string, jobId: string) {
    if (!SAFE_NAME.test(jobId)) throw new TypeError(`a job id may hold letters, digits, '.', '_' and '-' only, got '${jobId}'`);
    this.jobDir = join(root, jobId);
  }

  async writeFile(checkpointId: number, name: string, data: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<StoredFile> {
    checkId(checkpointId);
    if (!SAFE_NAME.test(name)) throw new TypeError(`a checkpoint file name may hold letters, digits, '.', '_' and '-' only, got '${name}'`);
    await mkdir(join(this.jobDir, SHARED), { recursive: true });
    const path = `${SHARED}/${checkpointId}-${name}`;
    const hash = createHash('sha256');
    let bytes = 0;
    const handle = await open(join(this.jobDir, path), 'w');
    try {
      for await (const chunk of chunksOf(data)) {
        hash.update(chunk);
        bytes += chunk.byteLength;
        await handle.write(chunk);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { path, bytes, sha256: hash.digest('hex') };
  }

  async *readChunks(checkpointId: number, file: StoredFile): AsyncGenerator<Uint8Array> {
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of createReadStream(join(this.jobDir, file.path), { highWaterMark: 1 << 20 })) {
        const data = chunk as Buffer;
        hash.update(data);
        bytes += data.byteLength;
        yield data;
      }
    } catch (error) {
      if (isMissing(error)) throw new CorruptCheckpointError(checkpointId, `file ${file.path} is missing`);
      throw error;
    }
    if (bytes !== file.bytes) throw new CorruptCheckpointError(checkpointId, `file ${file.path} has ${bytes} bytes, expected ${file.bytes}`);
    if (hash.digest('hex') !== file.sha256) throw new CorruptCheckpointError(checkpointId, `file ${file.path} fails its checksum`);
  }

  async readFile(checkpointId: number, file: StoredFile): Promise<Uint8Array> {
    let data: Uint8Array;
    try {
      data = await readFile(join(this.jobDir, file.path));
    } catch (error) {
      if (isMissing(error)) throw new CorruptCheckpointError(checkpointId, `file ${file.path} is missing`);
      throw error;
    }
    if (data.byteLength !== file.bytes) {
      throw new CorruptCheckpointError(checkpointId, `file ${file.path} has ${data.byteLength} bytes, expected ${file.bytes}`);
    }
    if (sha256(data) !== file.sha256) throw new CorruptCheckpointError(checkpointId, `file ${file.path} fails its checksum`);
    return data;
  }

  async commit(metadata: CheckpointMetadata): Promise<void> {
    checkId(metadata.checkpointId);
    const dir = join(this.jobDir, `chk-${metadata.checkpointId}`);
    await mkdir(dir, { recursive: true });
    const body = JSON.stringify(metadata);
    const temporary = join(dir, `${METADATA}.tmp`);
    await writeDurably(temporary, JSON.stringify({ format: FORMAT, sha256: sha256(body), body }));
    await rename(temporary, join(dir, METADATA));
    await syncDirectory(dir);
  }

  async claim(instance: string): Promise<void> {
    await mkdir(this.jobDir, { recursive: true });
    const temporary = join(this.jobDir, `${OWNER}.${instance}.tmp`);
    await writeDurably(temporary, instance);
    await rename(temporary, join(this.jobDir, OWNER));
    await syncDirectory(this.jobDir);
  }

  async owner(): Promise<string | undefined> {
    try {
      return await readFile(join(this.jobDir, OWNER), 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async completed(): Promise<number[]> {
    let entries: string[];
    try {
      entries = await readdir(this.jobDir);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const ids: number[] = [];
    for (const entry of entries) {
      const match = /^chk-(\d+)$/.exec(entry);
      if (match === null) continue;
      const present = await readdir(join(this.jobDir, entry)).catch(() => [] as string[]);
      if (present.includes(METADATA)) ids.push(Number(match[1]));
    }
    return ids.sort((a, b) => b - a);
  }

  async readMetadata(checkpointId: number): Promise<CheckpointMetadata> {
    let text: string;
    try {
      text = await readFile(join(this.jobDir, `chk-${checkpointId}`, METADATA), 'utf8');
    } catch (error) {
      if (isMissing(error)) throw new CorruptCheckpointError(checkpointId, 'its metadata is missing');
      throw error;
    }
    let envelope: { format?: unknown; sha256?: unknown; body?: unknown };
    try {
      envelope = JSON.parse(text) as typeof envelope;
    } catch {
      throw new CorruptCheckpointError(checkpointId, 'its metadata is not valid JSON (truncated?)');
    }
    if (envelope.format !== FORMAT) throw new CorruptCheckpointError(checkpointId, `its metadata has format ${String(envelope.format)}, expected ${FORMAT}`);
    if (typeof envelope.body !== 'string' || sha256(envelope.body) !== envelope.sha256) {
      throw new CorruptCheckpointError(checkpointId, 'its metadata fails its checksum');
    }
    const metadata = JSON.parse(envelope.body) as CheckpointMetadata;
    if (metadata.checkpointId !== checkpointId) {
      throw new CorruptCheckpointError(checkpointId, `its metadata names checkpoint ${metadata.checkpointId}`);
    }
    return metadata;
  }

  async verify(checkpointId: number): Promise<CheckpointMetadata> {
    const metadata = await this.readMetadata(checkpointId);
    for (const file of metadata.files) await this.readFile(checkpointId, file);
    return metadata;
  }

  async abort(checkpointId: number): Promise<void> {
    if ((await this.completed()).includes(checkpointId)) throw new Error(`checkpoint ${checkpointId} is complete and cannot be aborted`);
    await rm(join(this.jobDir, `chk-${checkpointId}`), { recursive: true, force: true });
    for (const name of await this.sharedFiles()) {
      if (fileCheckpoint(name) === checkpointId) await rm(join(this.jobDir, SHARED, name), { force: true });
    }
  }

  async retain(count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`retain at least one checkpoint, got ${count}`);
    const ids = await this.completed();
    const kept = ids.slice(0, count);
    const dropped = ids.slice(count);
    if (dropped.length === 0) return;
    // Files stay unless every kept checkpoint's metadata is readable: an unreadable one might reference anything.
    const referenced = new Set<string>();
    let allReadable = true;
    for (const id of kept) {
      try {
        for (const file of (await this.readMetadata(id)).files) referenced.add(file.path);
      } catch (error) {
        if (!(error instanceof CorruptCheckpointError)) throw error;
        allReadable = false;
      }
    }
    for (const id of dropped) await rm(join(this.jobDir, `chk-${id}`), { recursive: true, force: true });
    if (!allReadable) return;
    // Files of checkpoints newer than the newest completed one belong to a checkpoint still being written.
    const newest = ids[0]!;
    for (const name of await this.sharedFiles()) {
      const owner = fileCheckpoint(name);
      if (owner !== undefined && owner <= newest && !referenced.has(`${SHARED}/${name}`)) {
        await rm(join(this.jobDir, SHARED, name), { force: true });
      }
    }
  }

  private async sharedFiles(): Promise<string[]> {
    try {
      return await readdir(join(this.jobDir, SHARED));
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }
}

function checkId(checkpointId: number): void {
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 1) throw new RangeError(`checkpoint ids are positive integers, got ${checkpointId}`);
}

/** The checkpoint that wrote a shared file (its name starts with the id). */
function fileCheckpoint(name: string): number | undefined {
  const match = /^(\d+)-/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDirectory, writeDurably } from '../core/durable-fs.ts';
import { timeOrderedId } from '../core/file-names.ts';
import { removeAbandoned, retain } from './local-retention.ts';
import { adoptFiles } from './local-savepoint.ts';
import { type CheckpointMetadata, type CheckpointStorage, CheckpointTakenError, CorruptCheckpointError, type StoredFile } from './storage.ts';

export const METADATA = '_metadata';
/** The instance that writes this job id's checkpoints (see CheckpointStorage.claim). */
const OWNER = '_owner';
/** Written once when the first checkpoint completes: a later start that finds none intact must not start empty. */
const CHECKPOINTED = '_checkpointed';
/** Marks which writer reserved a checkpoint directory: `_reserved-<writer>`. */
export const RESERVED = '_reserved-';
export const SHARED = 'shared';
/** Bumped when the metadata layout changes, so an old reader refuses instead of misreading. */
const FORMAT = 1;
const SAFE_NAME = /^[A-Za-z0-9._-]+$/;
/** `<instance>.<attempt>`: one attempt of one run instance. */
const WRITER = /^[a-z0-9]{1,32}\.\d+$/;

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

function chunksOf(data: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Iterable<Uint8Array> | AsyncIterable<Uint8Array> {
  return data instanceof Uint8Array ? [data] : data;
}

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

function isTaken(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EEXIST';
}

/** A fresh instance id: random in part, so that two processes never share one, and ordered by start time. */
export function newInstanceId(): string {
  return timeOrderedId();
}

export interface LocalStorageOptions {
  /** Who writes through this storage (`<instance>.<attempt>`); a random one when only reading. */
  readonly writer?: string;
  /**
   * A savepoint directory read on its own (moved or copied away from its job directory): files resolve inside it.
   * `root` and `jobId` are not used then.
   */
  readonly savepointDir?: string;
}

/**
 * Checkpoints in a local directory, in the layout storage.ts describes. The metadata file is JSON:
 * `{"format":1,"sha256":<hex of body>,"body":<metadata as a JSON string>}`; it is written under a name of its
 * writer's inside the reserved directory, fsynced, renamed into place and the directory fsynced, so it is either
 * whole or absent.
 */
export class LocalCheckpointStorage implements CheckpointStorage {
  readonly jobDir: string;
  readonly writer: string;
  private readonly savepointDir: string | undefined;

  constructor(root: string, jobId: string, options: LocalStorageOptions = {}) {
    this.savepointDir = options.savepointDir;
    if (this.savepointDir === undefined && !SAFE_NAME.test(jobId)) {
      throw new TypeError(`a job id may hold letters, digits, '.', '_' and '-' only, got '${jobId}'`);
    }
    this.jobDir = this.savepointDir === undefined ? join(root, jobId) : dirname(this.savepointDir);
    this.writer = options.writer ?? `${newInstanceId()}.0`;
    if (!WRITER.test(this.writer)) throw new TypeError(`a checkpoint writer is '<instance>.<attempt>', got '${this.writer}'`);
  }

  /** A savepoint directory on its own, wherever it was moved or copied. */
  static savepoint(dir: string): LocalCheckpointStorage {
    return new LocalCheckpointStorage('', '', { savepointDir: dir });
  }

  checkpointDir(checkpointId: number): string {
    return this.savepointDir ?? join(this.jobDir, `chk-${checkpointId}`);
  }

  /** Where a file lives: below the job directory, or inside a moved savepoint for the savepoint's own files. */
  private location(file: StoredFile): string {
    if (this.savepointDir !== undefined && /^chk-\d+\//.test(file.path)) return join(this.savepointDir, basename(file.path));
    return join(this.jobDir, file.path);
  }

  async writeFile(checkpointId: number, name: string, data: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<StoredFile> {
    checkId(checkpointId);
    if (!SAFE_NAME.test(name)) throw new TypeError(`a checkpoint file name may hold letters, digits, '.', '_' and '-' only, got '${name}'`);
    await mkdir(join(this.jobDir, SHARED), { recursive: true });
    const path = `${SHARED}/${checkpointId}-${this.writer}-${name}`;
    const hash = createHash('sha256');
    let bytes = 0;
    // Exclusive: a name is written once, by its writer; finding it means a bug, never a file to overwrite.
    const handle = await open(join(this.jobDir, path), 'wx');
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
      for await (const chunk of createReadStream(this.location(file), { highWaterMark: 1 << 20 })) {
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
      data = await readFile(this.location(file));
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

  async reserve(checkpointId: number): Promise<void> {
    checkId(checkpointId);
    await mkdir(this.jobDir, { recursive: true });
    const dir = this.checkpointDir(checkpointId);
    try {
      await mkdir(dir);
    } catch (error) {
      if (isTaken(error)) throw new CheckpointTakenError(`checkpoint ${checkpointId} of ${this.jobDir} is held by another instance`, false);
      throw error;
    }
    await (await open(join(dir, `${RESERVED}${this.writer}`), 'wx')).close();
  }

  adopt(checkpointId: number, files: readonly StoredFile[]): Promise<Map<string, StoredFile>> {
    return adoptFiles(this, checkpointId, files);
  }

  async commit(metadata: CheckpointMetadata, owner?: string): Promise<void> {
    checkId(metadata.checkpointId);
    const dir = this.checkpointDir(metadata.checkpointId);
    const present = await this.entries(dir);
    if (!present.includes(`${RESERVED}${this.writer}`)) throw new Error(`checkpoint ${metadata.checkpointId} is not reserved by ${this.writer}`);
    const body = JSON.stringify(metadata);
    const temporary = join(dir, `${METADATA}.${this.writer}.tmp`);
    await writeDurably(temporary, JSON.stringify({ format: FORMAT, sha256: sha256(body), body }), 'wx');
    // As late as it can be: an instance replaced meanwhile leaves its checkpoint unfinished.
    if (owner !== undefined && (await this.owner()) !== owner) {
      throw new CheckpointTakenError(`another instance took over the checkpoints in ${this.jobDir}`, true);
    }
    await rename(temporary, join(dir, METADATA));
    await syncDirectory(dir);
    await this.recordCheckpointed(metadata.checkpointId);
  }

  private async recordCheckpointed(checkpointId: number): Promise<void> {
    const record = `${JSON.stringify({ firstCheckpoint: checkpointId, at: new Date().toISOString() })}\n`;
    try {
      await writeDurably(join(this.jobDir, CHECKPOINTED), record, 'wx');
    } catch (error) {
      if (isTaken(error)) return; // the first completed checkpoint wrote it
      throw error;
    }
    await syncDirectory(this.jobDir);
  }

  async everCompleted(): Promise<boolean> {
    const entries = await this.entries(this.jobDir);
    return entries.includes(CHECKPOINTED) || (await this.completed()).length > 0;
  }

  async claim(instance: string): Promise<void> {
    await mkdir(this.jobDir, { recursive: true });
    const temporary = join(this.jobDir, `${OWNER}.${instance}.tmp`);
    await writeDurably(temporary, instance, 'wx');
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

  /** Checkpoint directories by id, finished or not. */
  async checkpointDirs(): Promise<number[]> {
    const ids: number[] = [];
    for (const entry of await this.entries(this.jobDir)) {
      const match = /^chk-(\d+)$/.exec(entry);
      if (match !== null) ids.push(Number(match[1]));
    }
    return ids.sort((a, b) => b - a);
  }

  async completed(): Promise<number[]> {
    const ids: number[] = [];
    for (const id of await this.checkpointDirs()) {
      if ((await this.entries(this.checkpointDir(id))).includes(METADATA)) ids.push(id);
    }
    return ids;
  }

  async highestId(): Promise<number> {
    const fromFiles = (await this.sharedFiles()).map((name) => fileCheckpoint(name) ?? 0);
    return Math.max(0, ...(await this.checkpointDirs()), ...fromFiles);
  }

  async readMetadata(checkpointId: number): Promise<CheckpointMetadata> {
    let text: string;
    try {
      text = await readFile(join(this.checkpointDir(checkpointId), METADATA), 'utf8');
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
    // A savepoint read on its own is known by its directory, whatever id its metadata carries.
    if (this.savepointDir === undefined && metadata.checkpointId !== checkpointId) {
      throw new CorruptCheckpointError(checkpointId, `its metadata names checkpoint ${metadata.checkpointId}`);
    }
    return metadata;
  }

  async verify(checkpointId: number): Promise<CheckpointMetadata> {
    const metadata = await this.readMetadata(checkpointId);
    for (const file of metadata.files) await this.readFile(metadata.checkpointId, file);
    return metadata;
  }

  async abort(checkpointId: number): Promise<void> {
    const dir = this.checkpointDir(checkpointId);
    const present = await this.entries(dir);
    if (present.includes(`${RESERVED}${this.writer}`)) {
      // Completed after all (a failure after the metadata's rename): it stays, with its files.
      if (present.includes(METADATA)) return;
      await rm(dir, { recursive: true, force: true });
    }
    for (const name of await this.sharedFiles()) {
      if (fileCheckpoint(name) === checkpointId && this.isOwn(`${SHARED}/${name}`)) await rm(join(this.jobDir, SHARED, name), { force: true });
    }
  }

  retain(count: number): Promise<void> {
    return retain(this, count);
  }

  removeAbandoned(): Promise<void> {
    return removeAbandoned(this);
  }

  /** Whether this writer wrote the file at `path` (relative to the job directory). */
  isOwn(path: string): boolean {
    return basename(path).startsWith(`${fileCheckpoint(basename(path)) ?? ''}-${this.writer}-`);
  }

  async sharedFiles(): Promise<string[]> {
    return this.entries(join(this.jobDir, SHARED));
  }

  async entries(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
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
export function fileCheckpoint(name: string): number | undefined {
  const match = /^(\d+)-/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

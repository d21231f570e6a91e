import { createHash } from 'node:crypto';
import type { CheckpointStorage } from '../checkpoint/storage.ts';
import type { RestoredFileReader, SnapshotFiles, StoredFile } from '../core/snapshot-files.ts';
import { WeirError } from '../core/errors.ts';

type FileData = Parameters<CheckpointStorage['writeFile']>[2];

async function bytesOf(data: FileData): Promise<Uint8Array> {
  if (data instanceof Uint8Array) return data;
  const chunks: Uint8Array[] = [];
  for await (const chunk of data) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The files of an operator harness's snapshots, in memory: what checkpoint storage holds for one operator subtask
 * (its keyed state file, and the files its own state names), written and read through the same interface.
 */
export class MemorySnapshotFiles implements Pick<CheckpointStorage, 'writeFile' | 'readChunks'> {
  private readonly files = new Map<string, Uint8Array>();

  async writeFile(checkpointId: number, name: string, data: FileData): Promise<StoredFile> {
    const path = `${checkpointId}-${name}`;
    if (this.files.has(path)) throw new WeirError(`snapshot ${checkpointId} already has a file named ${name}`);
    const bytes = await bytesOf(data);
    this.files.set(path, bytes);
    return { path, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  async *readChunks(checkpointId: number, file: StoredFile): AsyncIterable<Uint8Array> {
    const bytes = this.files.get(file.path);
    if (bytes === undefined) throw new WeirError(`snapshot ${checkpointId} has no file ${file.path}`);
    yield bytes;
  }

  /** Where an operator's snapshotState writes its files. */
  forOperator(checkpointId: number): SnapshotFiles {
    return { kind: 'checkpoint', write: (name, data) => this.writeFile(checkpointId, `operator-${name}`, data) };
  }

  /** How a restored operator reads the files its state names. */
  reader(checkpointId: number): RestoredFileReader {
    return (file) => this.readChunks(checkpointId, file);
  }
}

/**
 * The state of an operator under test at one instant, taken by `OperatorHarness.snapshot()`: its keyed state and
 * timers, and the operator's own state, as a checkpoint holds them. Give it to a new harness (`{ restore: snapshot }`)
 * to test what a job does after a restart from that checkpoint. A snapshot lives in memory and may restore any number
 * of harnesses.
 */
export class HarnessSnapshot {
  /** @internal */
  constructor(
    /** The checkpoint id the snapshot was taken as; a restored operator sees it (`restored.checkpointId`). */
    readonly checkpointId: number,
    /** @internal */
    readonly operatorId: string,
    /** @internal */
    readonly maxParallelism: number,
    /** @internal */
    readonly keyed: StoredFile | undefined,
    /** @internal */
    readonly operatorState: unknown,
    /** @internal */
    readonly files: MemorySnapshotFiles,
  ) {}
}

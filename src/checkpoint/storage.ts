/**
 * Where checkpoints live (docs/architecture.md, decision 7). The runtime sees only this interface; `LocalCheckpointStorage` keeps it
 * in a local directory, and an object store can implement the same layout (see local-storage.ts):
 *
 *   <root>/<jobId>/shared/<checkpointId>-<name>   state files; a later (incremental) checkpoint may reference them
 *   <root>/<jobId>/chk-<checkpointId>/_metadata   written last and atomically: without it the checkpoint never happened
 *   <root>/<jobId>/_owner                         the run instance that writes checkpoints now (the latest started)
 *
 * Every file is named in the metadata with its length and SHA-256, and the metadata carries its own checksum, so a
 * truncated or damaged checkpoint is detected before anything is restored from it.
 */

/** A state file as checkpoint metadata names it. */
export interface StoredFile {
  /** Path below the job's directory, e.g. `shared/7-window-3.snap`. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** What a completed checkpoint (or savepoint) records; `state` is the runtime's, opaque to the storage. */
export interface CheckpointMetadata {
  readonly checkpointId: number;
  readonly kind: 'checkpoint' | 'savepoint';
  /** Wall-clock ms when the checkpoint was triggered. */
  readonly triggeredAt: number;
  /** Every file the checkpoint needs, its own and those it shares with earlier ones. */
  readonly files: readonly StoredFile[];
  readonly state: unknown;
}

/** A checkpoint's metadata or one of its files is missing, truncated or fails its checksum. */
export class CorruptCheckpointError extends Error {
  constructor(
    readonly checkpointId: number,
    message: string,
  ) {
    super(`checkpoint ${checkpointId}: ${message}`);
    this.name = 'CorruptCheckpointError';
  }
}

export interface CheckpointStorage {
  /**
   * Writes a state file for checkpoint `checkpointId`; `name` must be unique within that checkpoint. Large files come
   * as chunks, so that a snapshot never needs the whole file in memory.
   */
  writeFile(checkpointId: number, name: string, data: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<StoredFile>;
  /** Reads a file back, checking its length and checksum (CorruptCheckpointError otherwise). */
  readFile(checkpointId: number, file: StoredFile): Promise<Uint8Array>;
  /**
   * Streams a file. Its length and checksum are checked as it goes; a mismatch throws CorruptCheckpointError at the
   * end, so whatever was built from the chunks must be thrown away then.
   */
  readChunks(checkpointId: number, file: StoredFile): AsyncIterable<Uint8Array>;
  /** Completes a checkpoint: its metadata is written last, durably and atomically. */
  commit(metadata: CheckpointMetadata): Promise<void>;
  /** Ids of the checkpoints whose metadata exists, newest first (not yet verified). */
  completed(): Promise<number[]>;
  /** A completed checkpoint's metadata, checked against its own checksum. */
  readMetadata(checkpointId: number): Promise<CheckpointMetadata>;
  /** Checks the metadata and every file it names; throws CorruptCheckpointError on the first problem. */
  verify(checkpointId: number): Promise<CheckpointMetadata>;
  /** Drops what an aborted checkpoint wrote (files no completed checkpoint references). */
  abort(checkpointId: number): Promise<void>;
  /** Keeps the newest `count` completed checkpoints and deletes the rest, with files only they referenced. */
  retain(count: number): Promise<void>;
  /**
   * Records `instance` as the run that writes this job id's checkpoints from now on (the last one to start). A run
   * checks `owner()` before it completes a checkpoint, so an instance that another has replaced stops writing.
   */
  claim(instance: string): Promise<void>;
  owner(): Promise<string | undefined>;
}

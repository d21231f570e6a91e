import type { StoredFile } from '../core/snapshot-files.ts';

/**
 * Where checkpoints live (docs/architecture.md, decision 7). The runtime sees only this interface; `LocalCheckpointStorage` keeps it
 * in a local directory, and an object store can implement the same layout (see local-storage.ts):
 *
 *   <root>/<jobId>/shared/<checkpointId>-<writer>-<name>   state files, created exclusively; a later (incremental)
 *                                                          checkpoint of the same writer may reference them
 *   <root>/<jobId>/chk-<checkpointId>/                     reserved by one writer with an exclusive mkdir
 *   <root>/<jobId>/chk-<checkpointId>/_metadata            written last and atomically: without it the checkpoint never happened
 *   <root>/<jobId>/chk-<checkpointId>/<file>               a savepoint's own state files (it is self-contained)
 *   <root>/<jobId>/_owner                                  the run instance that writes checkpoints now (the latest started)
 *   <root>/<jobId>/_checkpointed                           written once, when the job id's first checkpoint completes
 *
 * A writer is one attempt of one run instance (`<instance>.<attempt>`, the instance random per process): two
 * instances of one job id never write, rename or delete the same name, so a fenced instance cannot damage the
 * checkpoints of the one that replaced it.
 *
 * Every file is named in the metadata with its length and SHA-256, and the metadata carries its own checksum, so a
 * truncated or damaged checkpoint is detected before anything is restored from it.
 */

export type { StoredFile };

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

/** A checkpoint that cannot complete because another instance holds its id or owns the job's checkpoints now. */
export class CheckpointTakenError extends Error {
  constructor(
    message: string,
    /** Another instance owns the job's checkpoints: this one must stop writing them. */
    readonly takenOver: boolean,
  ) {
    super(message);
    this.name = 'CheckpointTakenError';
  }
}

export interface CheckpointStorage {
  /**
   * Writes a state file for checkpoint `checkpointId`, under a name unique to this writer (created exclusively);
   * `name` must be unique within the writer's checkpoint. Large files come as chunks, so that a snapshot never needs
   * the whole file in memory.
   */
  writeFile(checkpointId: number, name: string, data: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<StoredFile>;
  /** Reads a file back, checking its length and checksum (CorruptCheckpointError otherwise). */
  readFile(checkpointId: number, file: StoredFile): Promise<Uint8Array>;
  /**
   * Streams a file. Its length and checksum are checked as it goes; a mismatch throws CorruptCheckpointError at the
   * end, so whatever was built from the chunks must be thrown away then.
   */
  readChunks(checkpointId: number, file: StoredFile): AsyncIterable<Uint8Array>;
  /**
   * Reserves checkpoint `checkpointId`'s directory for this writer (an exclusive create): CheckpointTakenError when
   * another writer holds the id. Comes before `adopt` and `commit`.
   */
  reserve(checkpointId: number): Promise<void>;
  /**
   * Moves this writer's files into the reserved checkpoint's own directory (a savepoint: it is self-contained and
   * restores after being moved or copied), returning them as the metadata must name them.
   */
  adopt(checkpointId: number, files: readonly StoredFile[]): Promise<Map<string, StoredFile>>;
  /**
   * Completes a reserved checkpoint: its metadata is written last, durably and atomically. With `owner`, the
   * checkpoint completes only while `owner()` still names it (CheckpointTakenError with takenOver otherwise).
   */
  commit(metadata: CheckpointMetadata, owner?: string): Promise<void>;
  /** Ids of the checkpoints whose metadata exists, newest first (not yet verified). */
  completed(): Promise<number[]>;
  /** The highest checkpoint id anyone used here (completed, reserved or with files): a new instance goes on above it. */
  highestId(): Promise<number>;
  /** Whether a checkpoint of this job id ever completed here (whatever happened to it since). */
  everCompleted(): Promise<boolean>;
  /** A completed checkpoint's metadata, checked against its own checksum. */
  readMetadata(checkpointId: number): Promise<CheckpointMetadata>;
  /** Checks the metadata and every file it names; throws CorruptCheckpointError on the first problem. */
  verify(checkpointId: number): Promise<CheckpointMetadata>;
  /** Drops what this writer wrote for a checkpoint that will not complete (its files and its reservation). */
  abort(checkpointId: number): Promise<void>;
  /**
   * Keeps the newest `count` completed checkpoints and deletes the rest, with files that no kept checkpoint
   * references, and whatever unfinished checkpoints older than the newest left behind (see removeAbandoned). Only
   * the owner calls it, right after completing a checkpoint.
   */
  retain(count: number): Promise<void>;
  /**
   * Removes what can provably never complete: checkpoint directories without metadata older than the newest
   * completed checkpoint, and state files older than it that no completed checkpoint references. Called by a new
   * owner once it has taken the job over (no other instance can complete a checkpoint after that).
   */
  removeAbandoned(): Promise<void>;
  /**
   * Records `instance` as the run that writes this job id's checkpoints from now on (the last one to start). A run
   * checks `owner()` before it completes a checkpoint, so an instance that another has replaced stops writing.
   */
  claim(instance: string): Promise<void>;
  owner(): Promise<string | undefined>;
}

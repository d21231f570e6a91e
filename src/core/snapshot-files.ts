/** A state file as checkpoint metadata names it (see src/checkpoint/storage.ts). */
export interface StoredFile {
  /** Path below the job's directory, e.g. `shared/7-1f0c9a2b.1-window-3.snap`, or `chk-7/...` for a savepoint's own files. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Files an operator's snapshot stores beside its state, for state too large for the checkpoint's metadata (an
 * exactly-once sink's epoch log). The checkpoint lists them with its own files: retention keeps them while a kept
 * checkpoint names them, a savepoint takes them into its directory, a restore checks them.
 */
export interface SnapshotFiles {
  readonly kind: 'checkpoint' | 'savepoint';
  /**
   * Writes a file into this checkpoint, durably, before the checkpoint is acknowledged; `name` must be unique within
   * the operator subtask's snapshot. Only this checkpoint may rely on the file (an aborted one deletes its files):
   * what a later checkpoint still needs, it writes again.
   */
  write(name: string, data: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<StoredFile>;
}

/** Reads a file that the restored checkpoint's state names (wherever a savepoint's files were moved), checking its checksum. */
export type RestoredFileReader = (file: StoredFile) => AsyncIterable<Uint8Array>;

import { LocalCheckpointStorage } from './local-storage.ts';
import type { CheckpointMetadata, CheckpointStorage, StoredFile } from './storage.ts';
import type { KeyGroupRange } from './keyed-snapshot.ts';

/**
 * What a checkpoint holds for the runtime (the `state` of its metadata) and what travels with barriers and
 * acknowledgements. Everything here is plain data: it crosses threads and is stored as JSON.
 */

/** How subtasks are named in checkpoint answers: `<vertex>:<subtask index>`. */
export function taskName(vertexId: number, index: number): string {
  return `${vertexId}:${index}`;
}

export function subtaskIndexOfTask(task: string): number {
  return Number(task.slice(task.indexOf(':') + 1));
}

/** A checkpoint storage location: `LocalCheckpointStorage(root, jobId)`. */
export interface CheckpointTarget {
  readonly root: string;
  readonly jobId: string;
  /** Who writes there (`<instance>.<attempt>`), for targets that barriers carry; file names are unique to it. */
  readonly writer?: string;
  /** A savepoint read from its own directory, wherever it was moved or copied (restore only). */
  readonly savepointDir?: string;
}

export function storageAt(target: CheckpointTarget): CheckpointStorage {
  if (target.savepointDir !== undefined) return LocalCheckpointStorage.savepoint(target.savepointDir);
  return new LocalCheckpointStorage(target.root, target.jobId, target.writer === undefined ? {} : { writer: target.writer });
}

/**
 * The same state with every keyed and operator file renamed as `renamed` says (a savepoint's files moved into its
 * directory). An operator's own state keeps naming its files by their old paths: a restore finds them by their file
 * names, which a move keeps (see restoredFileOf).
 */
export function withKeyedFiles(state: JobCheckpointState, renamed: ReadonlyMap<string, StoredFile>): JobCheckpointState {
  const rename = (file: StoredFile): StoredFile => renamed.get(file.path) ?? file;
  const operators: Record<string, OperatorCheckpointState> = {};
  for (const [operatorId, operator] of Object.entries(state.operators)) {
    operators[operatorId] = {
      ...operator,
      subtasks: operator.subtasks.map((subtask) => ({
        ...subtask,
        ...(subtask.keyed === undefined ? {} : { keyed: subtask.keyed.map((ref) => ({ ...ref, file: rename(ref.file) })) }),
        ...(subtask.files === undefined ? {} : { files: subtask.files.map(rename) }),
      })),
    };
  }
  return { ...state, operators };
}

/** Checkpoint barrier n, sent by the sources in order with their records. */
export interface Barrier {
  readonly t: 'barrier';
  readonly checkpointId: number;
  readonly kind: 'checkpoint' | 'savepoint';
  /** Where this checkpoint's files go. */
  readonly target: CheckpointTarget;
  /** Keyed state is snapshotted whole, not as changes since the last checkpoint (savepoints). */
  readonly full: boolean;
}

/** One keyed state file: a full snapshot, or the changes since the file before it in a chain. */
export interface KeyedFileRef {
  readonly checkpointId: number;
  readonly file: StoredFile;
}

/** One operator's part of one subtask's snapshot. */
export interface OperatorSubtaskState {
  /** Keyed state: a full snapshot and the incremental ones after it, oldest first. */
  readonly keyed?: readonly KeyedFileRef[];
  /** The source reader's position. */
  readonly source?: unknown;
  /** The operator's own state (a transactional sink's committables). */
  readonly operator?: unknown;
  /** Files the operator's own state names (see SnapshotFiles), written for this checkpoint. */
  readonly files?: readonly StoredFile[];
  /** The subtask had read all its input: a restore must not run its end of input (and what that emits) again. */
  readonly finished?: boolean;
}

/** One subtask's snapshot, by operator id. */
export type SubtaskSnapshot = Readonly<Record<string, OperatorSubtaskState>>;

export interface OperatorCheckpointState {
  readonly name: string;
  readonly parallelism: number;
  /** Indexed by subtask. */
  readonly subtasks: readonly OperatorSubtaskState[];
}

/** The runtime's part of checkpoint metadata. */
export interface JobCheckpointState {
  readonly jobName: string;
  /** The run this checkpoint belongs to (see SinkContext.runId); absent in checkpoints of older versions. */
  readonly runId?: string;
  readonly maxParallelism: number;
  readonly operators: Readonly<Record<string, OperatorCheckpointState>>;
}

/** A checkpoint an attempt restores from: where it lives and what it holds. */
export interface RestorePoint {
  readonly target: CheckpointTarget;
  readonly checkpointId: number;
  readonly state: JobCheckpointState;
  /** Every file the checkpoint names, as its metadata names them (a savepoint's under its own directory). */
  readonly files: readonly StoredFile[];
}

export function restorePointOf(target: CheckpointTarget, metadata: CheckpointMetadata): RestorePoint {
  return { target, checkpointId: metadata.checkpointId, state: metadata.state as JobCheckpointState, files: metadata.files };
}

/**
 * Where a file that a restored operator state names is now: found by its file name among the checkpoint's files (a
 * savepoint's were moved into its directory, under the same name). Undefined when the checkpoint does not name it.
 */
export function restoredFileOf(restore: RestorePoint, file: StoredFile): StoredFile | undefined {
  const name = file.path.slice(file.path.lastIndexOf('/') + 1);
  return restore.files.find((candidate) => candidate.path.slice(candidate.path.lastIndexOf('/') + 1) === name && candidate.sha256 === file.sha256);
}

/** Every state file a checkpoint needs (for its metadata, so that retention keeps them and restore checks them). */
export function filesOf(state: JobCheckpointState): StoredFile[] {
  const files = new Map<string, StoredFile>();
  for (const operator of Object.values(state.operators)) {
    for (const subtask of operator.subtasks) {
      for (const ref of subtask.keyed ?? []) files.set(ref.file.path, ref.file);
      for (const file of subtask.files ?? []) files.set(file.path, file);
    }
  }
  return [...files.values()];
}

/** The key groups subtask `index` of `parallelism` owns: a contiguous range (see subtaskForKeyGroup). */
export function keyGroupRangeOf(index: number, parallelism: number, maxParallelism: number): KeyGroupRange {
  return {
    start: Math.ceil((index * maxParallelism) / parallelism),
    end: Math.ceil(((index + 1) * maxParallelism) / parallelism),
  };
}

/** The keyed state chains of the old subtasks whose key groups overlap `range`. */
export function keyedChainsFor(operator: OperatorCheckpointState, maxParallelism: number, range: KeyGroupRange): (readonly KeyedFileRef[])[] {
  const chains: (readonly KeyedFileRef[])[] = [];
  operator.subtasks.forEach((subtask, index) => {
    const old = keyGroupRangeOf(index, operator.parallelism, maxParallelism);
    if (subtask.keyed !== undefined && old.start < range.end && range.start < old.end) chains.push(subtask.keyed);
  });
  return chains;
}

/**
 * The operator states (not keyed, not source positions) a new subtask takes over: those of old subtasks i with
 * i % parallelism === index, so that each is taken by exactly one new subtask.
 */
export function operatorStatesFor(operator: OperatorCheckpointState, index: number, parallelism: number): unknown[] {
  return operator.subtasks.filter((subtask, old) => old % parallelism === index && subtask.operator !== undefined).map((subtask) => subtask.operator);
}

/**
 * Whether new subtask `index` of `parallelism` restores as finished: it had read all its input before the checkpoint
 * (at the same parallelism), or every old subtask had (at any).
 */
export function restoresFinished(operator: OperatorCheckpointState, index: number, parallelism: number): boolean {
  if (operator.subtasks.length > 0 && operator.subtasks.every((subtask) => subtask.finished === true)) return true;
  return operator.parallelism === parallelism && operator.subtasks[index]?.finished === true;
}

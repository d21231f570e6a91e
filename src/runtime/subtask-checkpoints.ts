import type { SourceReader } from '../connectors/source.ts';
import type { OperatorChain } from './chain.ts';
import { createHash } from 'node:crypto';
import { writeKeyedSnapshot } from '../checkpoint/keyed-snapshot.ts';
import { storageAt, type Barrier, type KeyedFileRef, type OperatorSubtaskState, type SubtaskSnapshot } from '../checkpoint/snapshot-state.ts';
import { describeError } from '../core/errors.ts';
import { faultPoint } from '../core/fault-points.ts';
import { fileNamePart } from '../core/file-names.ts';
import type { SnapshotFiles, StoredFile } from '../core/snapshot-files.ts';
import type { CheckpointStorage } from '../checkpoint/storage.ts';

/** Keyed state is snapshotted whole at least every this many checkpoints, so a restore reads a short chain. */
export const FULL_SNAPSHOT_EVERY = 10;

/** Where a subtask's answers to the coordinator go. */
export interface CheckpointReporter {
  acknowledge(checkpointId: number, snapshot: SubtaskSnapshot): void;
  decline(checkpointId: number, reason: string): void;
}

interface TakenSnapshot {
  readonly kind: Barrier['kind'];
  /** Keyed chains by operator id, filled in once their files are written. */
  readonly chains: Map<string, KeyedFileRef[]>;
}

/**
 * The checkpoint side of one subtask: takes its snapshot at a barrier (operator states and source position at once,
 * keyed state files asynchronously), acknowledges it, and relays completion and abort notices to the operators.
 * Keyed snapshots are incremental on top of the last checkpoint this subtask knows completed; when it does not know
 * (a notice still on its way, an abort, a savepoint in between) the snapshot is full, so a chain never rests on a
 * file that may be deleted.
 */
export class SubtaskCheckpoints {
  /** The newest checkpoint this subtask snapshotted: later barriers of it, or older ones, are stale. */
  lastSnapshotId = 0;
  private readonly taken = new Map<number, TakenSnapshot>();
  private confirmed: { readonly checkpointId: number; readonly chains: ReadonlyMap<string, KeyedFileRef[]> } | undefined;
  /**
   * Snapshots still writing their keyed files or waiting to acknowledge: each reads an LMDB snapshot and then talks
   * to the coordinator, so the state environment and the worker's link must outlive them.
   */
  private readonly unacknowledged = new Set<Promise<void>>();

  constructor(
    private readonly chain: OperatorChain,
    private readonly reader: SourceReader<unknown> | undefined,
    private readonly reporter: CheckpointReporter,
  ) {}

  /**
   * Snapshots this subtask for `barrier`. Resolves once nothing after the barrier can reach the snapshot (records
   * may flow again); the keyed files are written afterwards, and the acknowledgement follows them.
   * `finished`: the subtask read all its input; a restore does not run its end of input again.
   * Resolves false for a barrier this subtask already answered (or an older one).
   */
  async snapshot(barrier: Barrier, finished: boolean): Promise<boolean> {
    const checkpointId = barrier.checkpointId;
    if (checkpointId <= this.lastSnapshotId) return false;
    const previousId = this.lastSnapshotId;
    this.lastSnapshotId = checkpointId;
    const storage = storageAt(barrier.target);
    const states = new Map<string, OperatorSubtaskState>();
    const keyedWrites: Promise<void>[] = [];
    const taken: TakenSnapshot = { kind: barrier.kind, chains: new Map() };
    this.taken.set(checkpointId, taken);
    const confirmed = this.confirmed;
    const incremental = !barrier.full && confirmed !== undefined && confirmed.checkpointId === previousId;

    const participants = this.chain.participants;
    for (const participant of participants) {
      const { operatorId, operator, keyedState } = participant;
      const state: { -readonly [P in keyof OperatorSubtaskState]: OperatorSubtaskState[P] } = finished ? { finished } : {};
      states.set(operatorId, state);
      try {
        // The reader feeds the chain's head: its position belongs to the source operator.
        if (participant === participants[0] && this.reader?.snapshotState !== undefined) state.source = this.reader.snapshotState(checkpointId);
        if (keyedState !== undefined) {
          const base = confirmed?.chains.get(operatorId) ?? [];
          const deltaAllowed = incremental && base.length > 0 && base.length < FULL_SNAPSHOT_EVERY;
          const written = writeKeyedSnapshot(keyedState, storage, checkpointId, fileNameFor(operatorId, this.chain.subtask), deltaAllowed);
          const recorded = written.then(({ file, full }) => {
            const ref = { checkpointId, file };
            const chain = full ? [ref] : [...base, ref];
            state.keyed = chain;
            taken.chains.set(operatorId, chain);
          });
          // Awaited in acknowledgeWhenWritten; until then a failure must not count as unhandled.
          recorded.catch(() => {});
          keyedWrites.push(recorded);
        }
        if (operator?.snapshotState !== undefined) {
          const files = snapshotFiles(storage, checkpointId, barrier.kind, fileNameFor(operatorId, this.chain.subtask, ''));
          state.operator = await operator.snapshotState(checkpointId, files);
          if (files.written.length > 0) state.files = files.written;
        }
      } catch (error) {
        throw participant.fail(error);
      }
    }
    const acknowledged = this.acknowledgeWhenWritten(checkpointId, states, keyedWrites);
    this.unacknowledged.add(acknowledged);
    void acknowledged.finally(() => this.unacknowledged.delete(acknowledged));
    return true;
  }

  /** Resolves once every snapshot taken has been acknowledged or declined: the state may close then. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.unacknowledged);
  }

  private async acknowledgeWhenWritten(checkpointId: number, states: Map<string, OperatorSubtaskState>, writes: Promise<void>[]): Promise<void> {
    try {
      faultPoint('async-snapshot');
      await Promise.all(writes);
    } catch (error) {
      this.taken.delete(checkpointId);
      this.reporter.decline(checkpointId, `writing the keyed state snapshot failed: ${describeError(error)}`);
      return;
    }
    this.reporter.acknowledge(checkpointId, Object.fromEntries(states));
  }

  /** Checkpoint n completed (covering every earlier one): chains rest on it from now on; operators publish. */
  async notifyComplete(checkpointId: number): Promise<void> {
    const taken = this.taken.get(checkpointId);
    if (taken !== undefined && taken.kind === 'checkpoint') this.confirmed = { checkpointId, chains: taken.chains };
    for (const id of this.taken.keys()) if (id <= checkpointId) this.taken.delete(id);
    try {
      await this.reader?.notifyCheckpointComplete?.(checkpointId);
    } catch (error) {
      throw this.chain.participants[0]!.fail(error);
    }
    for (const participant of this.chain.participants) {
      try {
        await participant.operator?.notifyCheckpointComplete?.(checkpointId);
      } catch (error) {
        throw participant.fail(error);
      }
    }
  }

  async notifyAborted(checkpointId: number): Promise<void> {
    this.taken.delete(checkpointId);
    for (const participant of this.chain.participants) {
      try {
        await participant.operator?.notifyCheckpointAborted?.(checkpointId);
      } catch (error) {
        throw participant.fail(error);
      }
    }
  }
}

/** Checkpoint file names allow few characters; a hash keeps any uid apart. */
function fileNameFor(operatorId: string, subtask: number, suffix = '.snap'): string {
  const readable = fileNamePart(operatorId).slice(0, 40);
  const hash = createHash('sha1').update(operatorId).digest('hex').slice(0, 8);
  return `${readable}-${hash}-${subtask}${suffix}`;
}

/** An operator's files in one snapshot, named after the operator subtask so that no two operators' names meet. */
function snapshotFiles(storage: CheckpointStorage, checkpointId: number, kind: Barrier['kind'], prefix: string): SnapshotFiles & { readonly written: StoredFile[] } {
  const written: StoredFile[] = [];
  return {
    kind,
    written,
    async write(name, data) {
      const file = await storage.writeFile(checkpointId, `${prefix}-${fileNamePart(name)}`, data);
      written.push(file);
      return file;
    },
  };
}

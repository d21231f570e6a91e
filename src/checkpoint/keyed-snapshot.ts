import { Packr } from 'msgpackr';
import type { ChangedEntry } from '../state/change-log.ts';
import type { LmdbKeyedStateBackend } from '../state/lmdb-backend.ts';
import type { CheckpointStorage, StoredFile } from './storage.ts';

/**
 * Snapshots of one keyed operator subtask's LMDB state, as state files of frames: a little-endian u32 length, then a
 * msgpack array of entries, `[key, value]` for a value and `[key]` for a deletion. A full snapshot holds every entry
 * in LMDB order; an incremental one what changed since the previous snapshot, and restores on top of it. Keys are
 * `[state or table, keyGroup, ...]`, so a restore at another parallelism keeps the entries of its own key groups
 * (docs/architecture.md, decision 5) from every file it reads. Values travel as LMDB decoded them and are stored again the same way.
 */
const FRAME_ENTRIES = 4_096;
const packr = new Packr({ useRecords: false, moreTypes: true, useBigIntExtension: true });

/** A key group range [start, end) owned by a subtask. */
export interface KeyGroupRange {
  readonly start: number;
  readonly end: number;
}

type FrameEntry = [key: unknown[], value: unknown] | [key: unknown[]];

/** Frames of a full snapshot's stored entries, pulled as the file is written. */
function* storedFrames(stored: Iterable<[unknown[], unknown]>): Generator<Uint8Array> {
  let entries: [unknown[], unknown][] = [];
  for (const entry of stored) {
    entries.push(entry);
    if (entries.length === FRAME_ENTRIES) {
      yield frame(entries);
      entries = [];
    }
  }
  if (entries.length > 0) yield frame(entries);
}

function frame(entries: readonly FrameEntry[]): Uint8Array {
  const body = packr.pack(entries);
  const out = new Uint8Array(4 + body.byteLength);
  new DataView(out.buffer).setUint32(0, body.byteLength, true);
  out.set(body, 4);
  return out;
}

function* changeFrames(changes: readonly ChangedEntry[]): Generator<Uint8Array> {
  for (let at = 0; at < changes.length; at += FRAME_ENTRIES) {
    yield frame(changes.slice(at, at + FRAME_ENTRIES).map(({ key, value }): FrameEntry => (value === undefined ? [key] : [key, value])));
  }
}

export interface KeyedSnapshot {
  readonly file: StoredFile;
  /** False for an incremental snapshot: it restores only on top of the previous one. */
  readonly full: boolean;
}

/**
 * Takes a subtask's snapshot at the barrier and writes it as one state file of the checkpoint: incremental when asked
 * and the backend's change log kept up, full otherwise. The synchronous part, before this returns its promise: the
 * backend's snapshot (timers staged, an LMDB read snapshot opened for a full one) and the cached changes encoded.
 * Writing the file is asynchronous: the job goes on meanwhile, unseen by the snapshot.
 */
export async function writeKeyedSnapshot(
  backend: LmdbKeyedStateBackend,
  storage: Pick<CheckpointStorage, 'writeFile'>,
  checkpointId: number,
  name: string,
  incremental = false,
): Promise<KeyedSnapshot> {
  const { stored, changes } = backend.snapshot(incremental);
  const changed = [...changeFrames(changes)];
  if (stored === undefined) return { file: await storage.writeFile(checkpointId, name, changed), full: false };
  // Restored in file order: the cached changes land on top of the stored entries they are newer than.
  return { file: await storage.writeFile(checkpointId, name, concatenated(storedFrames(stored), changed)), full: true };
}

function* concatenated(first: Iterable<Uint8Array>, second: Iterable<Uint8Array>): Generator<Uint8Array> {
  yield* first;
  yield* second;
}

/**
 * Restores the entries of `range` from snapshot files into a fresh backend: for every old subtask whose key groups
 * overlap the range, its full snapshot and then its incremental ones, in order. A damaged file throws CorruptCheckpointError after part of it was written: the backend must then be
 * discarded, and an earlier checkpoint tried.
 */
export async function restoreKeyedSnapshot(
  backend: LmdbKeyedStateBackend,
  storage: Pick<CheckpointStorage, 'readChunks'>,
  files: readonly { readonly checkpointId: number; readonly file: StoredFile }[],
  range: KeyGroupRange,
): Promise<void> {
  for (const { checkpointId, file } of files) {
    for await (const entries of readFrames(storage.readChunks(checkpointId, file))) {
      backend.restoreEntries(entries.filter(([key]) => inRange(key, range)).map(([key, value]) => [key, value] as const));
    }
  }
}

/** Entries whose key group is in the range; entries without one (the list of states) go everywhere. */
function inRange(key: readonly unknown[], range: KeyGroupRange): boolean {
  const keyGroup = key[1];
  return typeof keyGroup !== 'number' || (keyGroup >= range.start && keyGroup < range.end);
}

async function* readFrames(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<FrameEntry[]> {
  let buffered: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks) {
    buffered = buffered.byteLength === 0 ? chunk : concat(buffered, chunk);
    let offset = 0;
    while (buffered.byteLength - offset >= 4) {
      const length = new DataView(buffered.buffer, buffered.byteOffset + offset, 4).getUint32(0, true);
      if (buffered.byteLength - offset - 4 < length) break;
      yield packr.unpack(buffered.subarray(offset + 4, offset + 4 + length)) as FrameEntry[];
      offset += 4 + length;
    }
    buffered = buffered.subarray(offset);
  }
  // Trailing bytes mean a cut file; the storage's checksum reports it once the stream ends, before this line.
  if (buffered.byteLength > 0) throw new Error(`keyed snapshot ends inside a frame (${buffered.byteLength} bytes left)`);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

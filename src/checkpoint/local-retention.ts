import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileCheckpoint, isMissing, METADATA, SHARED, type LocalCheckpointStorage } from './local-storage.ts';
import { CorruptCheckpointError } from './storage.ts';

/**
 * What may be deleted from a job's checkpoint directory, and when. Only the instance that owns the checkpoints (the
 * latest to claim them) deletes, and only what can never be part of a completed checkpoint again: an instance that
 * is not the owner completes no checkpoint (it checks the owner just before its metadata's rename), so its files are
 * dead once no completed checkpoint references them. Files newer than the newest completed checkpoint may belong to
 * one still being written and stay.
 */

/** Keeps the newest `count` completed checkpoints; see CheckpointStorage.retain. */
export async function retain(storage: LocalCheckpointStorage, count: number): Promise<void> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`retain at least one checkpoint, got ${count}`);
  const ids = await storage.completed();
  if (ids.length === 0) return;
  const referenced = await referencedBy(storage, ids.slice(0, count));
  for (const id of ids.slice(count)) await removeCheckpointDir(storage, id, true);
  await removeUnfinishedBefore(storage, ids[0]!);
  if (referenced !== undefined) await removeUnreferencedThrough(storage, ids[0]!, referenced);
}

/** See CheckpointStorage.removeAbandoned. */
export async function removeAbandoned(storage: LocalCheckpointStorage): Promise<void> {
  const ids = await storage.completed();
  if (ids.length === 0) return;
  await removeUnfinishedBefore(storage, ids[0]!);
  await removeLeftoverTrash(storage, ids[0]!);
  const referenced = await referencedBy(storage, ids);
  if (referenced !== undefined) await removeUnreferencedThrough(storage, ids[0]!, referenced);
}

/** Every file the given checkpoints name; undefined when one's metadata is unreadable (it might reference anything). */
async function referencedBy(storage: LocalCheckpointStorage, ids: readonly number[]): Promise<Set<string> | undefined> {
  const referenced = new Set<string>();
  for (const id of ids) {
    try {
      for (const file of (await storage.readMetadata(id)).files) referenced.add(file.path);
    } catch (error) {
      if (error instanceof CorruptCheckpointError) return undefined;
      throw error;
    }
  }
  return referenced;
}

async function removeUnfinishedBefore(storage: LocalCheckpointStorage, newest: number): Promise<void> {
  for (const id of await storage.checkpointDirs()) {
    if (id < newest) await removeCheckpointDir(storage, id, false);
  }
}

/** Directories a killed instance was removing (see removeCheckpointDir). */
async function removeLeftoverTrash(storage: LocalCheckpointStorage, newest: number): Promise<void> {
  for (const entry of await storage.entries(storage.jobDir)) {
    const match = /^\.removed-chk-(\d+)-/.exec(entry);
    if (match === null) continue;
    const trash = join(storage.jobDir, entry);
    if (Number(match[1]) < newest || !(await storage.entries(trash)).includes(METADATA)) await rm(trash, { recursive: true, force: true });
  }
}

async function removeUnreferencedThrough(storage: LocalCheckpointStorage, newest: number, referenced: ReadonlySet<string>): Promise<void> {
  for (const name of await storage.sharedFiles()) {
    const id = fileCheckpoint(name);
    if (id !== undefined && id <= newest && !referenced.has(`${SHARED}/${name}`)) await rm(join(storage.jobDir, SHARED, name), { force: true });
  }
}

/**
 * Removes a checkpoint directory: first renamed out of the way in one step (a reader never sees metadata without its
 * files, and a writer still about to rename its metadata into it fails), then deleted. An unfinished one that turns
 * out to have completed meanwhile is put back.
 */
async function removeCheckpointDir(storage: LocalCheckpointStorage, id: number, completed: boolean): Promise<void> {
  const dir = storage.checkpointDir(id);
  if (!completed && (await storage.entries(dir)).includes(METADATA)) return;
  const trash = join(storage.jobDir, `.removed-chk-${id}-${storage.writer}`);
  try {
    await rename(dir, trash);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  if (!completed && (await storage.entries(trash)).includes(METADATA)) {
    await rename(trash, dir).catch(() => {});
    return;
  }
  await rm(trash, { recursive: true, force: true });
}

import { constants } from 'node:fs';
import { copyFile, link, open, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { syncDirectory } from '../core/durable-fs.ts';
import { isMissing, type LocalCheckpointStorage } from './local-storage.ts';
import type { StoredFile } from './storage.ts';

/**
 * Moves a savepoint's state files (its writer's own, written for it alone) from `shared/` into its reserved
 * directory, so that the savepoint is self-contained: copied or moved anywhere, it restores (see
 * LocalCheckpointStorage.savepoint). A hard link where the file system allows, a copy otherwise.
 */
export async function adoptFiles(storage: LocalCheckpointStorage, checkpointId: number, files: readonly StoredFile[]): Promise<Map<string, StoredFile>> {
  const dir = storage.checkpointDir(checkpointId);
  const adopted = new Map<string, StoredFile>();
  for (const file of files) {
    if (!storage.isOwn(file.path)) throw new Error(`checkpoint ${checkpointId} cannot adopt ${file.path}: another writer's file`);
    const name = basename(file.path);
    const from = join(storage.jobDir, file.path);
    try {
      await link(from, join(dir, name));
    } catch (error) {
      if (isMissing(error)) throw error;
      await copyExclusively(from, join(dir, name));
    }
    adopted.set(file.path, { ...file, path: `chk-${checkpointId}/${name}` });
  }
  await syncDirectory(dir);
  for (const file of files) await rm(join(storage.jobDir, file.path), { force: true });
  return adopted;
}

async function copyExclusively(from: string, to: string): Promise<void> {
  await copyFile(from, to, constants.COPYFILE_EXCL);
  const handle = await open(to, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Writes a file and flushes it to disk before returning; `wx` creates it and fails when it exists. */
export async function writeDurably(path: string, data: Uint8Array | string, flag: 'w' | 'wx' = 'w'): Promise<void> {
  const handle = await open(path, flag);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A rename or a new file is durable once the directory holding it is flushed. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces a file's content atomically and durably: a reader sees the old file or the new one, never a part, and after
 * a crash the file is one of them. Written beside it under a name of its own, flushed, renamed over it, directory flushed.
 */
export async function replaceDurably(path: string, data: Uint8Array | string): Promise<void> {
  const directory = dirname(path);
  const draft = join(directory, `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    await writeDurably(draft, data, 'wx');
    await rename(draft, path);
  } catch (error) {
    await rm(draft, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}

import { open } from 'node:fs/promises';

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

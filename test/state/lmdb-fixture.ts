import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ValueStateDescriptor } from '../../src/state/descriptors.ts';
import { LmdbKeyedStateBackend, type LmdbBackendOptions } from '../../src/state/lmdb-backend.ts';

/** Real LMDB environments in temp directories; `cleanup()` (afterEach) closes them and removes the directories. */
export function lmdbFixture() {
  const dirs: string[] = [];
  const open: LmdbKeyedStateBackend[] = [];
  return {
    tempDir(): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-lmdb-'));
      dirs.push(dir);
      return dir;
    },
    async backend(options: Partial<LmdbBackendOptions> = {}): Promise<LmdbKeyedStateBackend> {
      const b = await LmdbKeyedStateBackend.open({
        maxParallelism: 128,
        cacheEntries: 1000,
        ...options,
        path: options.path ?? this.tempDir(),
      });
      open.push(b);
      return b;
    },
    async cleanup(): Promise<void> {
      for (const b of open.splice(0)) await b.close();
      for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Pushes everything else out of a small cache by writing `count` other keys. */
export function churn(b: LmdbKeyedStateBackend, count: number, prefix = 'churn'): void {
  const filler = b.getState(new ValueStateDescriptor<number>('filler'));
  for (let i = 0; i < count; i++) {
    b.setCurrentKey(`${prefix}-${i}`);
    filler.update(i);
  }
}

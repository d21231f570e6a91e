/**
 * Vitest global setup: a directory for the run's one packed weir (test/fixtures/packed-weir.ts). Empty until a test
 * file asks for the tarball; the first one packs into it, the others wait for that and reuse it. Teardown removes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where this run's `npm pack` of the repository goes (test/fixtures/packed-weir.ts). */
    packedWeirDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'weir-packed-'));
  project.provide('packedWeirDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runJob } from 'weir/testing';
import type { CollectRestartParams } from '../fixtures/collect-restart-job.ts';
import type { ExactlyOnceOutput } from '../fixtures/exactly-once-job.ts';
import { expectFailureFreeOutput } from '../fixtures/exactly-once-model.ts';

const JOB = fileURLToPath(new URL('../fixtures/collect-restart-job.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weir-collect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CollectSink across restarts', () => {
  // Each key's outputs number 1..n: a record the failed attempt collected after the restored checkpoint, and that the
  // restart collected again, would repeat a number.
  it.each([
    ['from its last checkpoint', { checkpointIntervalMs: 50, failAt: 2_400 }],
    ['from the start, before any checkpoint', { checkpointIntervalMs: 60_000, failAt: 2_400 }],
  ])('a job that fails once and restarts %s collects what the successful attempts published, once', { timeout: 60_000 }, async (name, setting) => {
    const params: CollectRestartParams = { events: 4_000, keys: 7, ...setting, marker: join(dir, name.replaceAll(/\W+/g, '-')) };
    const result = await runJob({ jobModule: JOB, params, threads: 2 });
    expect(result.restarts).toBe(1);
    expectFailureFreeOutput({ pipeline: 'keyed', events: params.events, keys: params.keys, windowMs: 100 }, result.outputs.get('sequence') as ExactlyOnceOutput[]);
  });
});

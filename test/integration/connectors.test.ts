import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import type { RoutingParams } from '../fixtures/routing-job.ts';

const JOB = fileURLToPath(new URL('../fixtures/routing-job.ts', import.meta.url));
const run = (params: RoutingParams, jobId?: string) => runJob({ jobModule: JOB, params, threads: 2, ...(jobId === undefined ? {} : { jobId }) });
const partFiles = (dir: string): string[] => readdirSync(dir).filter((name) => name.startsWith('part-')).sort();
const linesOf = (dir: string, names: readonly string[]): string[] => names.flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter((line) => line !== ''));

describe('embedded connectors and routing', () => {
  it('reads JSON-lines files in parallel and writes one part file per subtask, losing no line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-files-'));
    const inputs = [0, 1, 2].map((file) => {
      const path = join(dir, `in-${file}.jsonl`);
      const lines = Array.from({ length: 3_000 }, (_, i) => JSON.stringify({ user: `u${file}-${i}`, stars: (i % 5) + 1 }));
      // The last file has no trailing newline and a blank line in the middle: both must be handled.
      writeFileSync(path, file === 2 ? `${lines.slice(0, 10).join('\n')}\n\n${lines.slice(10).join('\n')}` : `${lines.join('\n')}\n`);
      return path;
    });
    const outputDir = join(dir, 'out');
    const { jobId } = await run({ mode: 'files', inputs, outputDir });
    const names = partFiles(outputDir);
    expect(names).toEqual([expect.stringMatching(new RegExp(`^part-${jobId}-[0-9a-z]{13}-0\\.jsonl$`)), expect.stringMatching(/-1\.jsonl$/)]);
    const written = linesOf(outputDir, names).map((line) => JSON.parse(line) as { user: string; doubled: number });
    expect(written).toHaveLength(9_000);
    expect(new Set(written.map((r) => r.user)).size).toBe(9_000);
    expect(written.find((r) => r.user === 'u2-2999')).toEqual({ user: 'u2-2999', stars: 5, doubled: 10 });
  });

  it('a second run at a lower parallelism writes part files of its own run beside the first run\'s, which stay whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-file-runs-'));
    const inputs = [0, 1, 2].map((file) => {
      const path = join(dir, `in-${file}.jsonl`);
      writeFileSync(path, Array.from({ length: 600 }, (_, i) => JSON.stringify({ user: `u${file}-${i}`, stars: 1 })).join('\n'));
      return path;
    });
    const input = inputs[0]!;
    const outputDir = join(dir, 'out');
    await run({ mode: 'files', inputs, outputDir, parallelism: 3 }, 'ratings');
    const firstRun = partFiles(outputDir);
    const firstLines = linesOf(outputDir, firstRun);
    await run({ mode: 'files', inputs: [input], outputDir, parallelism: 2 }, 'ratings');
    const secondRun = partFiles(outputDir).filter((name) => !firstRun.includes(name));
    // Before, the second run rewrote part-0 and part-1 and left the first run's part-2 beside them.
    expect(firstRun).toHaveLength(3);
    expect(secondRun).toHaveLength(2);
    expect(linesOf(outputDir, firstRun)).toEqual(firstLines);
    expect(firstLines).toHaveLength(1_800);
    expect(linesOf(outputDir, secondRun)).toHaveLength(600);
    const runIdOf = (name: string) => /^part-ratings-([0-9a-z]{13})-\d+\.jsonl$/.exec(name)?.[1];
    expect(new Set(firstRun.map(runIdOf)).size).toBe(1);
    expect(new Set(secondRun.map(runIdOf))).not.toContain(runIdOf(firstRun[0]!));

    // Another job id is refused, naming the owner, and writes nothing.
    await expect(run({ mode: 'files', inputs: [input], outputDir }, 'other')).rejects.toThrow(/holds the output of job 'ratings'.*this job is 'other'/);
    expect(partFiles(outputDir)).toHaveLength(5);
  });

  it('fails with the file and line number of a line that is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-badline-'));
    const path = join(dir, 'ratings.jsonl');
    writeFileSync(path, '{"user":"a","stars":1}\n{"user":"b","stars":\n{"user":"c","stars":3}\n');
    await expect(run({ mode: 'files', inputs: [path], outputDir: join(dir, 'out') })).rejects.toThrow(
      new RegExp(`bad record in ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: SyntaxError`),
    );
  });

  it('routes records to a side output by tag', async () => {
    const result = await run({ mode: 'side-output' });
    expect([...(result.outputs.get('valid') ?? [])].sort()).toEqual([10, 20, 40, 60]);
    expect(result.outputs.get('invalid')).toEqual(
      expect.arrayContaining([{ n: -3, reason: 'negative' }, { n: -5, reason: 'negative' }]),
    );
    expect(result.outputs.get('invalid')).toHaveLength(2);
  });

  it('broadcasts every record to every subtask', async () => {
    const result = await run({ mode: 'broadcast' });
    expect([...(result.outputs.get('copies') ?? [])].sort()).toEqual(['A', 'A', 'A', 'B', 'B', 'B']);
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The repository explains itself (docs/architecture.md): nothing in it may point at a design document kept outside it,
 * which its readers cannot open. The patterns are assembled at run time so that this file does not match itself.
 */
const FORBIDDEN = [['..', 'shared'].join('/'), ['DESIGN', 'md'].join('.'), ['DESIGN', 'decision'].join(' ')];
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Tracked files, and new ones git does not ignore (so that a pointer fails before it is committed too). */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return [...new Set(listed.split('\0').filter((path) => path !== ''))].filter((path) => existsSync(join(ROOT, path)));
}

function pointersIn(path: string): string[] {
  const lines = readFileSync(join(ROOT, path), 'utf8').split('\n');
  return lines.flatMap((line, index) =>
    FORBIDDEN.filter((pattern) => line.includes(pattern)).map((pattern) => `${path}:${index + 1}: '${pattern}' in ${line.trim()}`),
  );
}

describe('the repository', () => {
  it('points at no design document outside it', () => {
    const files = repositoryFiles();
    expect(files).toContain('README.md');
    expect(files).toContain('test/repo/no-external-pointers.test.ts');
    expect(files.flatMap(pointersIn)).toEqual([]);
  });
});

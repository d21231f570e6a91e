// `weir new` from the sources, in process: the project's files and the mistakes it refuses with a clear message. The
// packed CLI, the install and the project's own tests run in test/integration/scaffold.test.ts.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { parseCommand } from '../../../src/cli/args.ts';
import { newProject } from '../../../src/cli/scaffold/new-project.ts';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'weir-new-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

test('weir new <name> [--dir D] parses; a second name or an unknown flag is refused', () => {
  expect(parseCommand(['new', 'demo'])).toEqual({ command: 'new', name: 'demo', dir: undefined });
  expect(parseCommand(['new', 'demo', '--dir', 'x'])).toEqual({ command: 'new', name: 'demo', dir: 'x' });
  expect(() => parseCommand(['new'])).toThrow(/exactly one project name/);
  expect(() => parseCommand(['new', 'a', 'b'])).toThrow(/exactly one project name/);
});

test('writes the project into an empty directory, the name put in for the placeholder everywhere', () => {
  const dir = join(work, 'empty');
  mkdirSync(dir);
  const { files } = newProject('click-counts', dir);
  expect(files).toContain('k8s/statefulset.yaml');
  expect(files).toContain('.gitignore');
  for (const file of files) expect(readFileSync(join(dir, file), 'utf8'), file).not.toContain('__NAME__');
  expect(readFileSync(join(dir, 'k8s', 'statefulset.yaml'), 'utf8')).toContain('name: click-counts');
  expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toContain('"--job-id", "click-counts"');
});

test('refuses a name Kubernetes or npm would not take, and a non-empty directory or a file, writing nothing', () => {
  for (const name of ['Demo', 'my_job', '-x', 'x-', '1job', 'a'.repeat(43)]) {
    expect(() => newProject(name, join(work, 'p')), name).toThrow(/is not usable: lower-case letters, digits and dashes/);
  }
  expect(readdirSync(work)).toEqual([]);
  writeFileSync(join(work, 'notes.txt'), 'mine');
  expect(() => newProject('demo', work)).toThrow(`${work} is not empty (notes.txt)`);
  expect(() => newProject('demo', join(work, 'notes.txt'))).toThrow('exists and is not a directory');
  expect(readdirSync(work)).toEqual(['notes.txt']);
  expect(readFileSync(join(work, 'notes.txt'), 'utf8')).toBe('mine');
});

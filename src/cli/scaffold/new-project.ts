import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../args.ts';
import { projectPackage } from './project-package.ts';

/** The project's files as the package ships them (templates/project/ at the package's root). */
const TEMPLATES = fileURLToPath(new URL('../../../templates/project/', import.meta.url));
/** Stored under another name: npm leaves `.gitignore` files out of a package. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore', dockerignore: '.dockerignore' };
const PLACEHOLDER = /__NAME__/g;

/**
 * A project name that is also a Kubernetes name (the StatefulSet's, its pods' and volumes') and an npm package name:
 * lower-case letters, digits and dashes.
 */
const NAME = /^[a-z][a-z0-9-]{0,40}[a-z0-9]$|^[a-z]$/;

/** What `weir new` did: where, and the files it wrote (relative to `dir`). */
export interface NewProject {
  readonly dir: string;
  readonly files: readonly string[];
}

/** Writes a ready project `name` into `dir` (default ./name), which must be new or empty; refuses anything else. */
export function newProject(name: string, dir: string = name): NewProject {
  if (!NAME.test(name)) {
    throw new UsageError(`project name '${name}' is not usable: lower-case letters, digits and dashes, starting with a letter, at most 42 characters`);
  }
  const target = resolve(dir);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new UsageError(`${target} exists and is not a directory`);
    const present = readdirSync(target);
    if (present.length > 0) {
      const shown = present.slice(0, 3).join(', ') + (present.length > 3 ? ', ...' : '');
      throw new UsageError(`${target} is not empty (${shown}): weir new writes only into a new or empty directory, and never over a file`);
    }
  }
  const files: string[] = [];
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    // 'wx': a file that appeared meanwhile is never overwritten.
    writeFileSync(join(target, path), text, { flag: 'wx' });
    files.push(path);
  };
  write('package.json', projectPackage(name));
  for (const entry of readdirSync(TEMPLATES, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const source = join(entry.parentPath, entry.name);
    const path = relative(TEMPLATES, source);
    write(join(dirname(path), RENAMED[entry.name] ?? entry.name), readFileSync(source, 'utf8').replace(PLACEHOLDER, name));
  }
  return { dir: target, files: files.sort() };
}

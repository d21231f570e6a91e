import { readFileSync } from 'node:fs';

/**
 * weir's version from its package.json: two folders up from this file both in the repository (src/cli/) and in the
 * installed package (dist/cli/).
 */
export function weirVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
  if (manifest.name !== 'weir' || typeof manifest.version !== 'string') throw new Error("weir's package.json is not where it should be");
  return manifest.version;
}

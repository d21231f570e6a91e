// `npm run build`: compiles src/ to dist/ (JavaScript and declarations), then copies the modules written in plain
// JavaScript (with their hand-written declarations), which the compiler does not emit.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const sources = join(root, 'src');
const output = join(root, 'dist');

rmSync(output, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const entry of readdirSync(sources, { recursive: true, withFileTypes: true })) {
  const path = join(entry.parentPath, entry.name);
  if (entry.isFile() && (entry.name.endsWith('.js') || entry.name.endsWith('.d.ts'))) {
    cpSync(path, join(output, relative(sources, path)));
  }
}
process.stdout.write(`built ${relative(root, output)}/ from ${relative(root, dirname(join(sources, 'index.ts')))}/\n`);

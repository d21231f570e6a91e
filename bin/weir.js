#!/usr/bin/env node
// The `weir` command. Installed, it runs weir's built code (dist/) and registers tsx only to load a TypeScript job;
// in a checkout of weir's repository it runs weir's TypeScript sources, through tsx.
import { existsSync } from 'node:fs';

const fromSources = existsSync(new URL('../src/cli/main.ts', import.meta.url));
let main;
if (fromSources) {
  const { registerTypeScript } = await import('../src/runtime/module-loader.js');
  await registerTypeScript();
  ({ main } = await import('../src/cli/main.ts'));
} else {
  ({ main } = await import('../dist/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// The `weir` command. Registers tsx so that TypeScript jobs (and weir's own sources) run without a build step.
import { register as registerEsm } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';

registerEsm();
registerCjs();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

/** The `hold` fault action: the job stops at its point until the test releases it, then goes on (no kill, no throw). */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { FAULTS_VARIABLE, releaseHold } from 'weir/testing';
import { sleep } from '../../src/core/signal.ts';
import { ROOT } from '../fixtures/weir-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'weir-hold-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('holds a thread at the point on its hit until released, once across processes', { timeout: 120_000 }, async () => {
  const marker = join(dir, 'hold');
  const script = "import { faultPoint } from './src/core/fault-points.ts'; for (let i = 1; i <= 3; i++) { faultPoint('p'); console.log(`passed ${i}`); }";
  const run = (): { output: () => string; exited: Promise<number | null> } => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, [FAULTS_VARIABLE]: JSON.stringify([{ point: 'p', hit: 2, action: 'hold', marker }]) },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { output: () => output, exited: new Promise((resolve) => child.on('close', resolve)) };
  };
  const held = run();
  const deadline = Date.now() + 60_000;
  while (!existsSync(marker) && Date.now() < deadline) await sleep(20);
  expect(existsSync(marker), 'the hold fired').toBe(true);
  await sleep(500);
  expect(held.output(), 'the second pass waits for the release').toBe('passed 1\n');
  releaseHold(marker);
  expect(await held.exited).toBe(0);
  expect(held.output()).toBe('passed 1\npassed 2\npassed 3\n');
  // The marker says it fired: a later process passes the point without holding.
  const again = run();
  expect(await again.exited).toBe(0);
  expect(again.output()).toBe('passed 1\npassed 2\npassed 3\n');
});

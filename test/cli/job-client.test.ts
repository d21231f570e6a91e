import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { freePort } from '../fixtures/free-port.ts';

afterEach(() => vi.restoreAllMocks());

/** `weir <args>` in this process: its exit code and what it printed on stderr. */
async function weir(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, stderr };
}

describe('weir status|savepoint|stop without a job at the address', () => {
  it.each(['status', 'savepoint', 'stop'])('weir %s says so in one line, with the reason and how to point it at the job', async (verb) => {
    const port = await freePort();
    const { code, stderr } = await weir([verb, '--url', `http://127.0.0.1:${port}`]);
    expect(code).toBe(1);
    const lines = stderr.trimEnd().split('\n');
    // The summary line says what and why; nothing of fetch's internals (its "fetch failed", undici's frames) shows.
    expect(lines.at(-1)).toMatch(new RegExp(`^weir: cannot reach the job at http://127\\.0\\.0\\.1:${port}/job\\S*: connection refused \\(is it running with --http-port ${port}\\? give its address with --url or WEIR_URL\\)$`));
    expect(stderr).not.toMatch(/fetch failed|undici|node:internal/);
  });
});

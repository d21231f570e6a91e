import { describe, expect, it } from 'vitest';
import { runWeir } from '../fixtures/weir-process.ts';

describe('weir run <job>', () => {
  // tsx resolves an import of `x.js` to an `x.ts` beside it (TypeScript's convention): weir must not, for the job.
  it('runs exactly the file named, when a .js and a .ts job of the same name sit side by side', async () => {
    const javascript = await runWeir(['run', 'test/fixtures/same-name-job.js']);
    expect(javascript.code).toBe(0);
    expect(javascript.stdout).toBe('"ran same-name-job.js"\n');
    const typescript = await runWeir(['run', 'test/fixtures/same-name-job.ts']);
    expect(typescript.code).toBe(0);
    expect(typescript.stdout).toBe('"ran same-name-job.ts"\n');
  });
});

import { describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { errorReport } from '../../src/cli/error-report.ts';
import { JobDefinitionError, WeirError } from '../../src/core/errors.ts';

/** The report as the lines printed on stderr. */
const printed = (error: unknown): string[] => errorReport(error).join('\n').split('\n');

describe('errorReport', () => {
  it('is one line for a weir error made by weir with a one-line message', () => {
    // Made inside weir's sources (no frame in this test's file): nothing to show but the summary.
    const error = new JobDefinitionError('job file not found: jobs/nope.ts');
    error.stack = `JobDefinitionError: ${error.message}\n    at resolveJobPath (${new URL('../../src/runtime/job-loader.ts', import.meta.url).pathname}:10:5)`;
    expect(printed(error)).toEqual(['weir: job file not found: jobs/nope.ts']);
  });

  it('leaves out a Node system error that its weir error already quotes', async () => {
    const system = (await mkdir('/dev/null/x').catch((error: unknown) => error)) as Error;
    const lines = printed(new WeirError(`cannot use checkpoint dir /dev/null: ${system.message}`, { cause: system }));
    expect(lines.some((line) => line.startsWith('caused by'))).toBe(false);
    expect(lines.at(-1)).toBe(`weir: cannot use checkpoint dir /dev/null: ${system.message}`);
  });

  it("prints an error that is not weir's with its stack, and a multi-line message whole, summary last", () => {
    const bug = new TypeError('cannot read x\nof undefined');
    const lines = printed(bug);
    expect(lines.slice(0, 2)).toEqual(['TypeError: cannot read x', 'of undefined']);
    expect(lines).toContain(bug.stack!.split('\n').find((line) => line.includes('error-report.test.ts')));
    expect(lines.at(-1)).toBe('weir: TypeError: cannot read x');
  });

  it('shows a cause that says more than its parent, with its frames', () => {
    const cause = new RangeError('limit must be positive');
    const lines = printed(new JobDefinitionError("the builder of job 'j' threw", { cause }));
    expect(lines[0]).toBe("JobDefinitionError [WEIR_JOB_DEFINITION]: the builder of job 'j' threw");
    const causedBy = lines.indexOf('caused by RangeError: limit must be positive');
    expect(causedBy).toBeGreaterThan(0);
    expect(lines[causedBy + 1]).toMatch(/error-report\.test\.ts:\d+:\d+/);
    expect(lines.at(-1)).toBe("weir: the builder of job 'j' threw");
  });
});

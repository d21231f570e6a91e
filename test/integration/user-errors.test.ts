import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import { FatalError, JobDefinitionError, JobFailedError, OperatorError } from 'weir';
import { runWeir } from '../fixtures/weir-process.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** `path:line:` of the first line of `file` containing `text`: where a stack frame in that file must point. */
function lineOf(file: string, text: string): string {
  const index = readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes(text));
  expect(index, `${text} in ${file}`).toBeGreaterThanOrEqual(0);
  return `${file}:${index + 1}:`;
}

async function failureOf(run: Promise<unknown>): Promise<Error> {
  const outcome = await run.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome, 'the run should have failed').toBeInstanceOf(Error);
  return outcome as Error;
}

const userFunction = fixture('throwing-map.ts');
const throwSite = lineOf(userFunction, 'throw new RangeError');

describe('a user function that throws on a worker thread', () => {
  it('reaches runJob as JobFailedError <- OperatorError (operator, subtask, record, user frame) <- the user error with its stack', async () => {
    const failure = await failureOf(runJob({ jobModule: fixture('throwing-map-job.ts'), parallelism: 2, logLevel: 'silent' }));
    expect(failure).toBeInstanceOf(JobFailedError);
    expect((failure as JobFailedError).code).toBe('WEIR_JOB_FAILED');

    const operatorError = failure.cause;
    expect(operatorError).toBeInstanceOf(OperatorError);
    const { operator, subtask, recordPreview, userFrame, code } = operatorError as OperatorError;
    expect({ operator, code }).toEqual({ operator: 'check-amount', code: 'WEIR_OPERATOR_FAILED' });
    expect(subtask).toMatch(/^[12]\/2$/);
    expect(recordPreview).toBe('{"id":77,"amount":-5}');
    expect(userFrame?.startsWith(throwSite), `${userFrame} should start with ${throwSite}`).toBe(true);
    // The one-line message alone is actionable: operator, subtask, record, where.
    expect(failure.message).toContain(`operator 'check-amount' (subtask ${subtask}) failed: RangeError: order 77 has a negative amount`);
    expect(failure.message).toContain('[record: {"id":77,"amount":-5}]');
    expect(failure.message).toContain(`[at ${throwSite}`);

    const userError = (operatorError as Error).cause as Error;
    expect(userError).toBeInstanceOf(RangeError);
    expect(userError.message).toBe('order 77 has a negative amount\nrefunds go through the refund topic');
    expect(userError.stack).toContain(`(${throwSite}`);
  });

  it('is printed by `weir run` with the operator, subtask, record, the whole message and the user frame, summary last', async () => {
    const outcome = await runWeir(['run', 'test/fixtures/throwing-map-job.ts', '--parallelism', '2']);
    expect(outcome.code).toBe(1);
    const stderr = outcome.stderr;
    expect(stderr).toMatch(/operator 'check-amount' \(subtask [12]\/2\) failed: RangeError: order 77 has a negative amount/);
    expect(stderr).toContain('refunds go through the refund topic'); // the message's second line
    expect(stderr).toContain('[record: {"id":77,"amount":-5}]');
    expect(stderr).toContain(`caused by RangeError: order 77 has a negative amount`);
    expect(stderr).toContain(`(${throwSite}`); // the user's stack frame
    const lines = stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^weir: job 'orders' failed: operator 'check-amount' \(subtask [12]\/2\) failed: RangeError: order 77 has a negative amount$/);
    expect(lines.filter((line) => line.startsWith('weir: '))).toHaveLength(1);
    expect(stderr).not.toContain('unexpected');
  });
});

describe('a job that does not build', () => {
  it('prints file, line, column and the compiler text of a syntax error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-syntax-'));
    const job = join(dir, 'broken-job.ts');
    const badLine = '  env.fromElements(1, 2).map((x) => x *);';
    writeFileSync(job, `import { defineJob } from 'weir';\nexport default defineJob({ name: 'broken' }, (env) => {\n${badLine}\n});\n`);
    const outcome = await runWeir(['run', job]);
    expect(outcome.code).toBe(1);
    // The compiler stops at the ')' after '*': line 3, the column counted from 1 as editors do.
    const column = badLine.indexOf('*)') + 2;
    expect(outcome.stderr).toContain(`${job}:3:${column}: Unexpected ")"`);
    expect(outcome.stderr).toContain(`    ${badLine}\n    ${' '.repeat(column - 1)}^\n`);
    const lines = outcome.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`weir: cannot load job module ${job}: ${job}:3:${column}: Unexpected ")"`);
  });

  it("reports an error thrown by the user's builder as the builder's, with the user's frame, not as unexpected", async () => {
    const builder = fixture('builder-error-job.ts');
    const builderLine = lineOf(builder, 'params.limit!.toFixed');

    const failure = await failureOf(runJob({ jobModule: builder, logLevel: 'silent' }));
    expect(failure).toBeInstanceOf(JobDefinitionError);
    expect(failure.message).toMatch(/^the builder of job 'builder-error' threw: TypeError: Cannot read properties of undefined/);
    expect((failure.cause as Error).stack).toContain(builderLine);

    const outcome = await runWeir(['run', 'test/fixtures/builder-error-job.ts']);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).not.toContain('unexpected');
    expect(outcome.stderr).toContain(builderLine);
    expect(outcome.stderr.trimEnd().split('\n').at(-1)).toMatch(/^weir: the builder of job 'builder-error' threw: TypeError: /);
  });
});

describe('a fatal error', () => {
  const attemptsOf = async (fatal: boolean): Promise<{ failure: Error; attempts: number }> => {
    const attemptsFile = join(mkdtempSync(join(tmpdir(), 'weir-attempts-')), 'attempts');
    writeFileSync(attemptsFile, '');
    const failure = await failureOf(runJob({ jobModule: fixture('counted-failure-job.ts'), params: { fatal, attemptsFile }, logLevel: 'silent' }));
    return { failure, attempts: readFileSync(attemptsFile, 'utf8').split('\n').filter(Boolean).length };
  };

  it('fails the job after one attempt although the restart strategy allows 3 restarts; a plain error is restarted 3 times', async () => {
    const fatal = await attemptsOf(true);
    expect(fatal.attempts).toBe(1);
    expect(fatal.failure).toBeInstanceOf(JobFailedError);
    expect((fatal.failure as JobFailedError).fatal).toBe(true);
    const userError = (fatal.failure.cause as Error).cause as FatalError;
    expect(userError).toBeInstanceOf(FatalError);
    expect(userError.code).toBe('WEIR_USER_FATAL');

    const transient = await attemptsOf(false);
    expect(transient.attempts).toBe(4);
    expect((transient.failure as JobFailedError).fatal).toBe(false);
  });
});

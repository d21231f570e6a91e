import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runJob } from 'weir/testing';
import { describeError } from '../../src/core/errors.ts';
import { generatedAt, type DeadLetterJobParams, type LetterSummary, type Reading } from '../fixtures/dead-letter-job.ts';
import { publishedRecords, runWeir } from '../fixtures/weir-process.ts';

const JOB = fileURLToPath(new URL('../fixtures/dead-letter-job.ts', import.meta.url));
const run = (params: DeadLetterJobParams) => runJob({ jobModule: JOB, params, threads: 2 });

/** What a line of an input file is: a good reading, a blank line, or one of the ways a line goes bad. */
type LineKind = 'good' | 'blank' | 'not-json' | 'no-id' | 'no-time' | 'text-time' | 'throwing-time';

const TIME_REJECTED = 'BadRecordError: the timestamp assigner returned';

function lineText(kind: LineKind, id: string, at: number): string {
  switch (kind) {
    case 'good':
      return JSON.stringify({ id, at });
    case 'blank':
      return '';
    case 'not-json':
      return `{"id":"${id}","at":`;
    case 'no-id':
      return JSON.stringify({ at });
    case 'no-time':
      return JSON.stringify({ id });
    case 'text-time':
      return JSON.stringify({ id, at: 'soon' });
    case 'throwing-time':
      return JSON.stringify({ id, at: 'throw' });
  }
}

/** Why the job must reject a bad line: the parser's own error, the job's parse function's, or the assigner's. */
function reasonOf(kind: LineKind, text: string, id: string): string {
  switch (kind) {
    case 'not-json':
      try {
        JSON.parse(text);
      } catch (error) {
        return describeError(error);
      }
      throw new Error(`${text} parsed`);
    case 'no-id':
      return 'TypeError: a reading needs a string id';
    case 'no-time':
      return `${TIME_REJECTED} undefined: event time must be a number (ms)`;
    case 'text-time':
      return `${TIME_REJECTED} soon: event time must be a number (ms)`;
    case 'throwing-time':
      return `BadRecordError: the timestamp assigner threw: RangeError: reading ${id} says throw`;
    default:
      throw new Error(`a ${kind} line is not bad`);
  }
}

interface InputFiles {
  readonly dir: string;
  readonly paths: string[];
  /** Ids of the good lines (`<file>:<line>`). */
  readonly good: string[];
  readonly letters: LetterSummary[];
  /** Each bad line's text, by id. */
  readonly badText: Map<string, string>;
}

/** Writes files whose line n (from 1) is of kind kindOf(file, n); ids are `<file name>:<line>`, event time the line number. */
function writeInputs(lineCounts: readonly number[], kindOf: (file: number, line: number) => LineKind, finalNewline = (_file: number) => true): InputFiles {
  const dir = mkdtempSync(join(tmpdir(), 'weir-dead-letters-'));
  const inputs: InputFiles = { dir, paths: [], good: [], letters: [], badText: new Map() };
  lineCounts.forEach((count, file) => {
    const path = join(dir, `in-${file}.jsonl`);
    const texts: string[] = [];
    for (let line = 1; line <= count; line++) {
      const kind = kindOf(file, line);
      const id = `${basename(path)}:${line}`;
      const text = lineText(kind, id, line);
      texts.push(text);
      if (kind === 'good') inputs.good.push(id);
      else if (kind !== 'blank') {
        inputs.letters.push({ reason: reasonOf(kind, text, id), operator: 'lines', source: { kind: 'file', path, line }, value: text });
        inputs.badText.set(id, text);
      }
    }
    writeFileSync(path, texts.join('\n') + (finalNewline(file) ? '\n' : ''));
    inputs.paths.push(path);
  });
  return inputs;
}

const BAD_KINDS: readonly LineKind[] = ['not-json', 'no-id', 'no-time', 'text-time', 'throwing-time'];
const CYCLE: readonly LineKind[] = ['good', 'good', 'not-json', 'good', 'no-id', 'blank', 'no-time', 'good', 'text-time', 'throwing-time', 'good'];

const idsOf = (records: readonly unknown[] | undefined) => (records as Reading[] | undefined ?? []).map((reading) => reading.id).sort();
const lineOrder = (a: LetterSummary, b: LetterSummary) => JSON.stringify(a.source).localeCompare(JSON.stringify(b.source));
const linesOf = (path: string) => readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);

describe('dead letters from file sources', () => {
  it('a job reading DEAD_LETTERS gets every good line once and every bad line as a dead letter with its path, line and reason', { timeout: 120_000 }, async () => {
    // File 0 starts with a bad line, file 1 is all good, file 2 ends with a bad line and no newline.
    const inputs = writeInputs(
      [220, 60, 131],
      (file, line) => (file === 1 ? 'good' : file === 0 && line === 1 ? 'not-json' : file === 2 && line === 131 ? 'throwing-time' : CYCLE[(line + file) % CYCLE.length]!),
      (file) => file !== 2,
    );
    const result = await run({ input: { kind: 'files', paths: inputs.paths }, parallelism: 2, deadLetters: 'collect' });

    expect(result.restarts).toBe(0);
    expect(idsOf(result.outputs.get('records'))).toEqual([...inputs.good].sort());
    const letters = [...(result.outputs.get('dead-letters') as LetterSummary[])].sort(lineOrder);
    expect(new Set(letters.map((letter) => letter.reason.split(':')[0]))).toEqual(new Set(['SyntaxError', 'TypeError', 'BadRecordError']));
    expect(letters).toEqual([...inputs.letters].sort(lineOrder));
  });

  it('without DEAD_LETTERS a bad line fails the job at once (no restart) with its file, line, reason and text', { timeout: 120_000 }, async () => {
    const inputs = writeInputs([5], (_file, line) => (line === 3 ? 'no-time' : 'good'));
    const attemptsLog = join(inputs.dir, 'attempts.log');
    const [letter] = inputs.letters;
    await expect(run({ input: { kind: 'files', paths: inputs.paths }, parallelism: 1, attemptsLog })).rejects.toThrow(
      `operator 'lines' (subtask 1/1) failed: RejectedRecordError: bad record in ${inputs.paths[0]}:3: ${letter!.reason} [record: ${JSON.stringify(letter!.value)}]`,
    );
    // The job's restart strategy allows 3 restarts: a deterministic failure uses none.
    expect(linesOf(attemptsLog)).toEqual(['0']);
  });

  it('weir run fails on a bad line at once, printing its file, line, reason and text', { timeout: 120_000 }, async () => {
    const inputs = writeInputs([4], (_file, line) => (line === 2 ? 'not-json' : 'good'));
    const [letter] = inputs.letters;
    const params: DeadLetterJobParams = { input: { kind: 'files', paths: inputs.paths }, parallelism: 1 };
    const outcome = await runWeir(['run', 'test/fixtures/dead-letter-job.ts', '--params', JSON.stringify(params)]);
    expect(outcome.code).toBe(1);
    const summary = outcome.stderr.split('\n').filter((line) => line.startsWith('weir: '));
    expect(summary).toEqual([
      `weir: job 'dead-letters' failed: operator 'lines' (subtask 1/1) failed: RejectedRecordError: bad record in ${inputs.paths[0]}:2: ${letter!.reason} [record: ${JSON.stringify(letter!.value)}]`,
    ]);
    // WEIR_LOG_LEVEL=warn would show a restart.
    expect(outcome.stderr).not.toContain('restarting after');
  });

  it('a restore after a checkpoint publishes every dead letter once (transactional sinks)', { timeout: 180_000 }, async () => {
    const lines = 400;
    const inputs = writeInputs([lines], (_file, line) => (line % 10 === 5 ? BAD_KINDS[Math.floor(line / 10) % BAD_KINDS.length]! : 'good'));
    const seenLog = join(inputs.dir, 'seen.log');
    const failAt = `in-0.jsonl:${lines - 80}`;
    const params: DeadLetterJobParams = {
      input: { kind: 'files', paths: inputs.paths },
      parallelism: 1,
      deadLetters: { directory: join(inputs.dir, 'letters') },
      outputDirectory: join(inputs.dir, 'records'),
      checkpointIntervalMs: 30,
      seenLog,
      failOnce: { id: failAt, marker: join(inputs.dir, 'failed-once') },
      spinMs: 4,
    };
    const result = await run(params);

    expect(result.restarts).toBe(1);
    expect(idsOf(publishedRecords<Reading>(join(inputs.dir, 'records')))).toEqual([...inputs.good].sort());
    expect(publishedRecords<LetterSummary>(join(inputs.dir, 'letters')).sort(lineOrder)).toEqual([...inputs.letters].sort(lineOrder));
    // The second attempt started from a checkpoint after some bad lines: those were dead-lettered by the first attempt only.
    const seen = linesOf(seenLog).map((id) => Number(id.split(':')[1]));
    const seenTwice = seen.filter((line, at) => seen.indexOf(line) !== at);
    expect(seenTwice.length).toBeGreaterThan(0);
    const restoredFrom = Math.min(...seenTwice);
    expect(inputs.letters.filter((letter) => letter.source.kind === 'file' && letter.source.line < restoredFrom).length).toBeGreaterThan(0);
  });
});

describe('dead letters from the generator', () => {
  const count = 1_000;
  const rejected = Array.from({ length: count }, (_, index) => index).filter((index) => typeof generatedAt(index) !== 'number' || Number.isNaN(generatedAt(index)));
  const reasonAt = (index: number): string => {
    const at = generatedAt(index);
    return at === 'throw' ? `BadRecordError: the timestamp assigner threw: RangeError: reading g${index} says throw` : `${TIME_REJECTED} ${String(at)}: event time must be a number (ms)`;
  };

  it('a job reading DEAD_LETTERS gets every index with a timestamp once and every rejected one as a dead letter with its index and reason', { timeout: 120_000 }, async () => {
    const result = await run({ input: { kind: 'generator', count }, parallelism: 2, deadLetters: 'collect' });

    expect(result.restarts).toBe(0);
    const accepted = Array.from({ length: count }, (_, index) => index).filter((index) => !rejected.includes(index));
    expect(idsOf(result.outputs.get('records'))).toEqual(accepted.map((index) => `g${index}`).sort());
    const letters = [...(result.outputs.get('dead-letters') as LetterSummary[])].sort(
      (a, b) => (a.source.kind === 'generator' ? a.source.index : -1) - (b.source.kind === 'generator' ? b.source.index : -1),
    );
    expect(letters).toEqual(rejected.map((index) => ({ reason: reasonAt(index), operator: 'numbers', source: { kind: 'generator', index }, value: null })));
  });

  it('without DEAD_LETTERS a rejected timestamp fails the job at once with the index, reason and record', { timeout: 120_000 }, async () => {
    const attemptsLog = join(mkdtempSync(join(tmpdir(), 'weir-dead-letters-')), 'attempts.log');
    await expect(run({ input: { kind: 'generator', count }, parallelism: 1, attemptsLog })).rejects.toThrow(
      `operator 'numbers' (subtask 1/1) failed: RejectedRecordError: bad record at generator index 0: ${reasonAt(0)} [record: {"id":"g0","at":"throw"}]`,
    );
    expect(linesOf(attemptsLog)).toEqual(['0']);
  });
});

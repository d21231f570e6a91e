import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonLinesFileSource } from '../../src/connectors/files.ts';
import type { ReaderOutput, SourceReader } from '../../src/connectors/source.ts';
import type { DeadLetter } from '../../src/connectors/dead-letter.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const context = (subtaskIndex: number, parallelism: number) => ({ jobName: 'test', operatorName: 'files', subtaskIndex, parallelism, threadId: 0 });

interface Line {
  readonly id: string;
  readonly text: string;
}

/** One output per reader, as the runtime gives: records land in `records`, noting the split they came through. */
const outputs = new WeakMap<SourceReader<Line>, { output: ReaderOutput<Line>; records: Line[]; released: string[] }>();

/**
 * Polls up to `max` records; `released` collects the splits the reader released. A reader that reads dead letters
 * gets them among its records, with the id its line would have had (`<path>#<line from 0>`).
 */
async function poll(reader: SourceReader<Line>, max: number, released: string[] = [], readsDeadLetters = false): Promise<{ records: Line[]; done: boolean }> {
  let sink = outputs.get(reader);
  if (sink === undefined) {
    const target = { records: [] as Line[], released };
    const letterId = ({ source }: DeadLetter) => (source.kind === 'file' ? `${source.path}#${source.line - 1}` : `not a file: ${JSON.stringify(source)}`);
    const output: ReaderOutput<Line> = {
      collect: () => {
        throw new Error('records must go through their split');
      },
      forSplit: (split) => ({ collect: (record) => void target.records.push({ ...record, id: `${split}#${record.id}` }) }),
      releaseSplit: (split) => void target.released.push(split),
      ...(readsDeadLetters ? { deadLetters: (letter: DeadLetter) => void target.records.push({ id: letterId(letter), text: letter.reason }) } : {}),
    };
    sink = Object.assign(target, { output });
    outputs.set(reader, sink);
  }
  sink.records = [];
  const result = await reader.poll(sink.output, max);
  return { records: sink.records, done: result === 'end' };
}

async function drain(reader: SourceReader<Line>): Promise<Line[]> {
  const all: Line[] = [];
  for (;;) {
    const { records, done } = await poll(reader, 7, [], true);
    all.push(...records);
    if (done) return all;
  }
}

/** A line that is not JSON (written as it is). */
const BAD_LINE = '{"id": not json';

/** Files of JSON lines with blank lines, bad lines, multi-byte text and an optional final newline. */
const filesArb = fc.array(
  fc.record({
    lines: fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constant(''), fc.constant(BAD_LINE)), { maxLength: 40, size: 'max' }),
    finalNewline: fc.boolean(),
  }),
  { minLength: 1, maxLength: 5 },
);

function writeFiles(files: readonly { lines: readonly string[]; finalNewline: boolean }[]): { paths: string[]; expected: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'weir-files-'));
  dirs.push(dir);
  const paths: string[] = [];
  const expected: string[] = [];
  files.forEach(({ lines, finalNewline }, f) => {
    const path = join(dir, `in-${f}.jsonl`);
    const body = lines.map((text, i) => (text === '' || text === BAD_LINE ? text : JSON.stringify({ id: String(i), text }))).join('\n');
    writeFileSync(path, body + (finalNewline && lines.length > 0 ? '\n' : ''));
    paths.push(path);
    lines.forEach((text, i) => {
      if (text !== '') expected.push(`${path}#${i}`);
    });
  });
  return { paths, expected };
}

describe('JSON-lines file source positions', () => {
  it('restored at any parallelism from its readers snapshots, reads every line once (a bad line as a dead letter)', async () => {
    await fc.assert(
      fc.asyncProperty(filesArb, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(30), { minLength: 4, maxLength: 4 }), async (files, before, after, polled) => {
        const { paths, expected } = writeFiles(files);
        const source = new JsonLinesFileSource<Line>({ paths });
        const readers = Array.from({ length: before }, (_, s) => source.createReader(context(s, before)));
        const emitted: string[] = [];
        for (const [s, reader] of readers.entries()) emitted.push(...(await poll(reader, polled[s]!, [], true)).records.map((r) => r.id));
        const snapshots = JSON.parse(JSON.stringify(readers.map((reader) => reader.snapshotState!(1)))) as unknown[];
        for (const reader of readers) await reader.close?.();
        const restored = Array.from({ length: after }, (_, s) => source.createReader(context(s, after), snapshots));
        for (const reader of restored) emitted.push(...(await drain(reader)).map((r) => r.id));
        expect(emitted.sort()).toEqual([...expected].sort());
      }),
      { numRuns: 80 },
    );
  });

  it('a restored reader reports a bad line with its own line number and releases each finished file', async () => {
    const { paths } = writeFiles([{ lines: ['a', 'b', 'c'], finalNewline: true }]);
    writeFileSync(paths[0]!, '{"id":"0","text":"a"}\n{"id":"1","text":"b"}\nnot json\n');
    const source = new JsonLinesFileSource<Line>({ paths });
    const first = source.createReader(context(0, 1));
    expect((await poll(first, 2)).records.map((r) => r.text)).toEqual(['a', 'b']);
    const restored = source.createReader(context(0, 1), [first.snapshotState!(1)]);
    await first.close?.();
    await expect(poll(restored, 5)).rejects.toThrow(`bad record in ${paths[0]}:3`);

    writeFileSync(paths[0]!, '{"id":"0","text":"a"}\n');
    const released: string[] = [];
    const reader = source.createReader(context(0, 1));
    while (!(await poll(reader, 5, released)).done);
    expect(released).toEqual([paths[0]]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeneratorSource } from '../../src/connectors/generator.ts';
import type { ReaderOutput, SourceReader } from '../../src/connectors/source.ts';

const context = (subtaskIndex: number, parallelism: number) => ({
  jobName: 'test',
  operatorName: 'generator',
  subtaskIndex,
  parallelism,
  threadId: 0,
});

/** Polls `reader` for up to `max` records and returns them. */
function poll(reader: SourceReader<number>, max: number): number[] {
  const out: number[] = [];
  const output: ReaderOutput<number> = { collect: (record) => void out.push(record), forSplit: () => output, releaseSplit: () => {} };
  void reader.poll(output, max);
  return out;
}

function drain(reader: SourceReader<number>): number[] {
  const out: number[] = [];
  for (let batch = poll(reader, 1000); batch.length > 0; batch = poll(reader, 1000)) out.push(...batch);
  return out;
}

const source = (count: number) => GeneratorSource.of({ count, generate: (index) => index });

describe('GeneratorSource', () => {
  it('emits every index once across its subtasks, in order within each when the parallelism divides 128', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 1, max: 9 }), (count, parallelism) => {
        const perSubtask = Array.from({ length: parallelism }, (_, s) => drain(source(count).createReader(context(s, parallelism))));
        expect(perSubtask.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
        if (128 % parallelism === 0) {
          perSubtask.forEach((records, s) => expect(records).toEqual(Array.from({ length: records.length }, (_, i) => s + i * parallelism)));
        }
      }),
    );
  });

  it('restored at any parallelism from its readers snapshots, it neither repeats nor skips an index', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 8, maxLength: 8 }),
        (count, before, after, polled) => {
          const readers = Array.from({ length: before }, (_, s) => source(count).createReader(context(s, before)));
          const emitted = readers.flatMap((reader, s) => poll(reader, polled[s]!));
          const snapshots = readers.map((reader) => reader.snapshotState!(1));
          // Plain data: it survives a trip through JSON (the checkpoint's metadata).
          const stored = JSON.parse(JSON.stringify(snapshots)) as unknown[];
          const restored = Array.from({ length: after }, (_, s) => source(count).createReader(context(s, after), stored));
          const rest = restored.flatMap((reader) => drain(reader));
          expect([...emitted, ...rest].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
        },
      ),
    );
  });

  it('restored at the same parallelism, each subtask goes on in index order', () => {
    const readers = [0, 1].map((s) => source(1_000).createReader(context(s, 2)));
    const first = readers.map((reader, s) => poll(reader, 100 + s * 37));
    const snapshots = readers.map((reader) => reader.snapshotState!(1));
    const restored = [0, 1].map((s) => source(1_000).createReader(context(s, 2), snapshots));
    restored.forEach((reader, s) => {
      const all = [...first[s]!, ...drain(reader)];
      expect(all).toEqual(Array.from({ length: 500 }, (_, i) => s + 2 * i));
    });
  });
});

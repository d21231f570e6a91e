import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeneratorSource } from '../../src/connectors/generator.ts';
import type { ReaderOutput, SourceReader } from '../../src/connectors/source.ts';
import { NO_TIMESTAMP, WatermarkStrategy } from '../../src/api/watermark-strategy.ts';
import { SourceWatermarks } from '../../src/runtime/source-watermarks.ts';

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

  it('restored from a snapshot, hands each rejected index to the dead letters once, and each other index on once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 1, max: 4 }), fc.nat(300), (count, parallelism, before) => {
        // Every fifth index has no event time: the assigner returns undefined.
        const strategy = WatermarkStrategy.monotonousTimestamps<number>().withTimestamp((index) => (index % 5 === 0 ? (undefined as unknown as number) : index));
        const records: number[] = [];
        const letters: number[] = [];
        const output = new SourceWatermarks<number>(strategy, { timestamp: NO_TIMESTAMP }, (record) => records.push(record as number), () => 0, (letter) => {
          letters.push(letter.source.kind === 'generator' ? letter.source.index : -1);
        }).readerOutput;
        const snapshots = Array.from({ length: parallelism }, (_, s) => {
          const reader = source(count).createReader(context(s, parallelism));
          void reader.poll(output, before);
          return reader.snapshotState!(1);
        });
        for (let s = 0; s < parallelism; s++) {
          const reader = source(count).createReader(context(s, parallelism), snapshots);
          for (let polls = 1; reader.poll(output, 64) !== 'end'; polls++) if (polls > count) throw new Error('the reader never ends');
        }
        const all = Array.from({ length: count }, (_, i) => i);
        expect(letters.sort((a, b) => a - b)).toEqual(all.filter((i) => i % 5 === 0));
        expect(records.sort((a, b) => a - b)).toEqual(all.filter((i) => i % 5 !== 0));
      }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { NO_TIMESTAMP, WatermarkStrategy } from '../../src/api/watermark-strategy.ts';
import { RejectedRecordError, type DeadLetter } from '../../src/connectors/dead-letter.ts';
import { ElementsSource } from '../../src/connectors/memory.ts';
import { isFatal } from '../../src/core/errors.ts';
import { SourceWatermarks } from '../../src/runtime/source-watermarks.ts';

interface Item {
  readonly n: number;
  readonly at?: number;
}

const context = { jobName: 'test', operatorName: 'items', subtaskIndex: 0, parallelism: 1, threadId: 0 };
const strategy = WatermarkStrategy.monotonousTimestamps<Item>().withTimestamp((item) => item.at as number);
const items: Item[] = [{ n: 0, at: 1 }, { n: 1 }, { n: 2, at: 3 }];

describe('fromElements with a timestamp assigner', () => {
  it('hands an element whose timestamp is rejected to the dead letters with its index, and goes on', () => {
    const pushed: unknown[] = [];
    const letters: DeadLetter[] = [];
    const watermarks = new SourceWatermarks(strategy, { timestamp: NO_TIMESTAMP }, (record) => pushed.push(record), () => 0, (letter) => letters.push(letter));
    expect(new ElementsSource(items).createReader(context).poll(watermarks.readerOutput, 10)).toBe('end');
    expect(pushed).toEqual([items[0], items[2]]);
    expect(letters).toEqual([
      {
        reason: 'BadRecordError: the timestamp assigner returned undefined: event time must be a number (ms)',
        operator: 'items',
        source: { kind: 'elements', index: 1 },
        key: null,
        value: null,
        headers: {},
        timestamp: NO_TIMESTAMP,
      },
    ]);
  });

  it('without dead letters fails fatally, naming the index and showing the element', () => {
    const watermarks = new SourceWatermarks(strategy, { timestamp: NO_TIMESTAMP }, () => {}, () => 0);
    let failure: unknown;
    try {
      void new ElementsSource(items).createReader(context).poll(watermarks.readerOutput, 10);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(RejectedRecordError);
    expect((failure as RejectedRecordError).message).toBe('bad record at index 1 of fromElements: BadRecordError: the timestamp assigner returned undefined: event time must be a number (ms)');
    expect((failure as RejectedRecordError).recordPreview).toBe('{"n":1}');
    expect(isFatal(failure)).toBe(true);
  });
});

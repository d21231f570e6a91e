import { describe, expect, it } from 'vitest';
import { deadLetterHeaders } from '../../src/connectors/kafka/dead-letter-sink.ts';
import type { DeadLetter } from '../../src/connectors/dead-letter.ts';

describe('dead-letter headers', () => {
  it('keep the original headers as Buffers (also after a thread hop made them Uint8Arrays) and add reason, operator and position', () => {
    const letter: DeadLetter = {
      reason: 'SyntaxError: Unexpected token',
      operator: 'clicks',
      source: { kind: 'kafka', topic: 'in', partition: 2, offset: 41 },
      key: null,
      value: new Uint8Array([1, 2]),
      headers: { trace: new Uint8Array([104, 105]), kind: 'x', gone: undefined, 'weir.dlq.reason': 'an older one' },
      timestamp: 5,
    };
    const headers = deadLetterHeaders(letter);
    expect(Buffer.isBuffer(headers['trace'])).toBe(true);
    expect(Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value.toString()]))).toEqual({
      trace: 'hi',
      kind: 'x',
      'weir.dlq.reason': 'SyntaxError: Unexpected token',
      'weir.dlq.operator': 'clicks',
      'weir.dlq.topic': 'in',
      'weir.dlq.partition': '2',
      'weir.dlq.offset': '41',
    });
  });

  it("name a file's path and line, and a generator's index, and never the kind of source", () => {
    const base = { reason: 'BadRecordError: the timestamp assigner returned undefined', operator: 'lines', key: null, value: null, headers: {}, timestamp: 0 };
    const weirHeaders = (letter: DeadLetter) => Object.entries(deadLetterHeaders(letter)).map(([name, value]) => [name, value.toString()]);
    expect(weirHeaders({ ...base, source: { kind: 'file', path: 'in/ratings.jsonl', line: 3 } })).toEqual([
      ['weir.dlq.reason', base.reason],
      ['weir.dlq.operator', 'lines'],
      ['weir.dlq.path', 'in/ratings.jsonl'],
      ['weir.dlq.line', '3'],
    ]);
    expect(weirHeaders({ ...base, source: { kind: 'generator', index: 17 } })).toEqual([
      ['weir.dlq.reason', base.reason],
      ['weir.dlq.operator', 'lines'],
      ['weir.dlq.index', '17'],
    ]);
  });
});

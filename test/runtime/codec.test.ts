import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { decodeBatch, encodeBatch } from '../../src/runtime/codec.ts';

const mixed: unknown[] = [
  { id: 1, name: 'plain', tags: ['a', 'b'], nested: { deep: { deeper: [1, { x: null }] } } },
  { id: 2, name: 'ünïcødé ✓ 日本語 😀', tags: [], nested: { deep: { deeper: [] } } },
  { id: -3, score: -0.125, big: 2 ** 53 - 1, negBig: -(2 ** 40), huge: 1e300, tiny: 5e-324 },
  { flag: true, off: false, nothing: null, missing: undefined },
  { at: new Date(Date.UTC(2024, 1, 29, 12, 30, 45, 123)) },
  [1, 'two', [3, [4]], { five: 5 }],
  'a bare string',
  42,
  -7.5,
  true,
  null,
  '',
  0,
];

describe('encodeBatch / decodeBatch', () => {
  it('round-trips a batch of mixed records', () => {
    const decoded = decodeBatch(encodeBatch(mixed));
    expect(decoded).toEqual(mixed);
    expect(decoded).toHaveLength(mixed.length);
  });

  it('keeps the exact values that a loose comparison would miss', () => {
    const decoded = decodeBatch(encodeBatch(mixed)) as Record<string, unknown>[];
    expect(decoded[2]!.big).toBe(2 ** 53 - 1);
    expect(decoded[2]!.negBig).toBe(-(2 ** 40));
    expect(decoded[2]!.tiny).toBe(5e-324);
    expect(decoded[1]!.name).toBe('ünïcødé ✓ 日本語 😀');
    const at = decoded[4]!.at;
    expect(at).toBeInstanceOf(Date);
    expect((at as Date).getTime()).toBe(Date.UTC(2024, 1, 29, 12, 30, 45, 123));
    // an undefined field stays an own property holding undefined
    expect(Object.keys(decoded[3]!)).toEqual(['flag', 'off', 'nothing', 'missing']);
    expect(decoded[3]!.missing).toBeUndefined();
    expect(decoded[3]!.nothing).toBeNull();
  });

  it('round-trips many records sharing one shape (record structures) and differing shapes', () => {
    const batch = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? { user: `u${i}`, n: i } : { user: `u${i}`, n: i, extra: [i] }));
    expect(decodeBatch(encodeBatch(batch))).toEqual(batch);
  });

  it('round-trips an empty batch', () => {
    expect(decodeBatch(encodeBatch([]))).toEqual([]);
  });

  it('returns bytes that own their ArrayBuffer, so the buffer can be transferred', () => {
    for (const batch of [mixed, [], [{ a: 1 }], Array.from({ length: 500 }, (_, i) => ({ i }))]) {
      const bytes = encodeBatch(batch);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
    }
  });

  it('survives transfer: a transferred batch decodes on the far side and the sender copy is detached', async () => {
    const bytes = encodeBatch(mixed);
    const { port1, port2 } = new MessageChannel();
    try {
      const received = new Promise<Uint8Array>((resolve) => port2.once('message', resolve));
      port1.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
      expect(bytes.byteLength).toBe(0);
      expect(decodeBatch(await received)).toEqual(mixed);
    } finally {
      port1.close();
      port2.close();
    }
  });

  it('encodes every batch self-describing: a fresh codec instance (another thread) decodes a later batch', async () => {
    const shape = (i: number) => ({ user: `u${i}`, count: i, when: new Date(i * 1000) });
    encodeBatch([shape(1), shape(2)]); // a first batch that could leave shared structures behind
    const later = [shape(3), shape(4)];
    const bytes = encodeBatch(later);
    vi.resetModules();
    const fresh = await import('../../src/runtime/codec.ts');
    expect(fresh.decodeBatch).not.toBe(decodeBatch);
    expect(fresh.decodeBatch(bytes)).toEqual(later);
  });

  it('round-trips arbitrary JSON-like records as JSON would', () => {
    // Known limit, documented in the README: msgpackr renames a '__proto__' field (prototype-pollution guard).
    const withoutProtoKey = fc.jsonValue({ maxDepth: 4 }).filter((value) => !JSON.stringify(value).includes('"__proto__"'));
    fc.assert(
      fc.property(fc.array(withoutProtoKey), (batch) => {
        // compared with the JSON round trip: msgpack, like JSON, turns -0 into 0
        expect(decodeBatch(encodeBatch(batch))).toEqual(JSON.parse(JSON.stringify(batch)));
      }),
      { numRuns: 200 },
    );
  });

  it('names the cause and the record when a record cannot be serialised', () => {
    expect(() => encodeBatch([{ ok: 1 }, { id: 7, tag: Symbol('x') }])).toThrow(
      /^cannot serialise a record to send it to another thread \(records must be plain data\): .*symbol.* \[record: \{"id":7\}\]$/,
    );
  });
});

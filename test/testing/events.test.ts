/** The event-stream arbitraries (src/testing/events.ts) keep the promises they make: bounds, lateness, duplicates, poison. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countRecords, decodeEvent, encodeInput, encodeRecord, events, isStreamRecord, onTimeByKey, type StreamRecord, type TestEvent } from '../../src/testing/index.ts';

const BOUND = 300;
const mixed = events({ keys: 3, maxOutOfOrderMs: BOUND, count: { min: 0, max: 60 }, lateShare: 0.15, duplicateShare: 0.15, poisonShare: 0.1, maxGapMs: 200 });

/** The events of a stream in arrival order, each with the largest timestamp delivered before it. */
function withNewestBefore(stream: readonly StreamRecord[]): { event: TestEvent; newest: number }[] {
  let newest = Number.NEGATIVE_INFINITY;
  const out: { event: TestEvent; newest: number }[] = [];
  for (const record of stream) {
    if (record.kind !== 'event') continue;
    out.push({ event: record, newest });
    newest = Math.max(newest, record.timestamp);
  }
  return out;
}

describe('events()', () => {
  it('delivers every event not marked late within the bound of the timestamps before it, and every late one beyond it', () => {
    fc.assert(
      fc.property(mixed, (stream) => {
        for (const { event, newest } of withNewestBefore(stream)) {
          if (event.late) expect(event.timestamp).toBeLessThan(newest - BOUND);
          else expect(event.timestamp).toBeGreaterThanOrEqual(newest - BOUND);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('marks only events drawn as late: without a late share, no event is late, whatever the other shares', () => {
    fc.assert(
      fc.property(events({ maxOutOfOrderMs: BOUND, duplicateShare: 0.3, poisonShare: 0.2, burstShare: 0.3, idleShare: 0.2 }), (stream) => {
        expect(countRecords(stream).late).toBe(0);
        for (const { event, newest } of withNewestBefore(stream)) expect(event.timestamp).toBeGreaterThanOrEqual(newest - BOUND);
      }),
      { numRuns: 200 },
    );
  });

  it('repeats an earlier delivery in every duplicate, and gives every other record an id of its own', () => {
    fc.assert(
      fc.property(mixed, (stream) => {
        const delivered = new Map<number, TestEvent>();
        const ids = new Set<number>();
        for (const record of stream) {
          if (record.kind === 'event' && record.duplicate) {
            const original = delivered.get(record.id);
            expect(original, `duplicate ${record.id} before its original`).toBeDefined();
            expect({ ...record, duplicate: false, late: false }).toEqual({ ...original, duplicate: false, late: false });
            continue;
          }
          expect(ids.has(record.id)).toBe(false);
          ids.add(record.id);
          if (record.kind === 'event') delivered.set(record.id, record);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('writes poison records that a decoder must reject, events that it reads back, and no line breaks', () => {
    fc.assert(
      fc.property(mixed, (stream) => {
        for (const record of stream) {
          const bytes = encodeRecord(record);
          expect(bytes.includes(0x0a) || bytes.includes(0x0d)).toBe(false);
          if (record.kind === 'event') {
            expect(decodeEvent(bytes)).toEqual({ id: record.id, key: record.key, value: record.value, timestamp: record.timestamp });
          } else if (record.reason === 'missing-timestamp') {
            expect(() => decodeEvent(bytes)).toThrow(/without a timestamp/);
          } else {
            expect(() => decodeEvent(bytes)).toThrow();
            expect(() => JSON.parse(bytes.toString('utf8'))).toThrow();
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('stays within its count, keys and start time', () => {
    const start = Date.UTC(2030, 5, 1);
    fc.assert(
      fc.property(events({ keys: 2, count: { min: 5, max: 9 }, startTime: start, poisonShare: 0.3 }), (records) => {
        expect(records.length).toBeGreaterThanOrEqual(5);
        expect(records.length).toBeLessThanOrEqual(9);
        for (const record of records) {
          expect(['key-0', 'key-1']).toContain(record.key);
          if (record.kind === 'event') expect(record.timestamp).toBeGreaterThanOrEqual(start);
        }
      }),
    );
  });

  it('takes keys and values from the given arbitraries', () => {
    fc.assert(
      fc.property(events({ keys: fc.constantFrom('alice', 'bob'), values: fc.string({ maxLength: 3 }), count: 10 }), (records) => {
        for (const record of records) {
          expect(['alice', 'bob']).toContain(record.key);
          if (record.kind === 'event') expect(typeof record.value).toBe('string');
        }
      }),
    );
  });

  it('makes bursts (one timestamp) and idle gaps (idleGapMs) as their shares say', () => {
    const originals = (stream: readonly StreamRecord[]): TestEvent[] =>
      stream.filter((r): r is TestEvent => r.kind === 'event' && !r.duplicate).sort((a, b) => a.id - b.id);
    fc.assert(
      fc.property(events({ count: 20, burstShare: 1, idleShare: 0 }), (stream) => {
        expect(new Set(originals(stream).map((e) => e.timestamp)).size).toBeLessThanOrEqual(1);
      }),
    );
    fc.assert(
      fc.property(events({ count: 20, burstShare: 0, idleShare: 1, idleGapMs: 60_000 }), (stream) => {
        const times = originals(stream).map((e) => e.timestamp);
        times.slice(1).forEach((time, i) => expect(time - times[i]!).toBe(60_000));
      }),
    );
  });

  it('produces each kind at about its share across many streams', () => {
    const totals = { events: 0, late: 0, duplicates: 0, poison: 0 };
    for (const stream of fc.sample(mixed, { numRuns: 200, seed: 16 })) {
      const counts = countRecords(stream);
      for (const name of Object.keys(totals) as (keyof typeof totals)[]) totals[name] += counts[name];
    }
    const records = totals.events + totals.poison;
    expect(totals.poison / records).toBeGreaterThan(0.05);
    expect(totals.duplicates / records).toBeGreaterThan(0.08);
    // Late when drawn late and overtaken by later timestamps: most of the 15% drawn, not all (the last ones arrive last).
    expect(totals.late / records).toBeGreaterThan(0.05);
  });

  it('gives the reference: each key on time, in event-time order, each id once', () => {
    fc.assert(
      fc.property(mixed, (stream) => {
        const reference = onTimeByKey(stream);
        const expectedIds = new Set(stream.filter((r) => r.kind === 'event' && !r.late).map((r) => r.id));
        const ids = [...reference.values()].flat().map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(new Set(ids)).toEqual(expectedIds);
        for (const [key, list] of reference) {
          list.forEach((event, i) => {
            expect(event.key).toBe(key);
            if (i > 0) expect(event.timestamp).toBeGreaterThanOrEqual(list[i - 1]!.timestamp);
          });
        }
      }),
      { numRuns: 100 },
    );
  });

  it('rejects options it cannot honour, naming them', () => {
    expect(() => events({ lateShare: 1.5 })).toThrow(/lateShare/);
    expect(() => events({ lateShare: 0.6, poisonShare: 0.6 })).toThrow(/must not exceed 1/);
    expect(() => events({ keys: 0 })).toThrow(/keys/);
    expect(() => events({ count: { min: 5, max: 2 } })).toThrow(/count/);
    expect(() => events({ maxOutOfOrderMs: -1 })).toThrow(/maxOutOfOrderMs/);
  });
});

describe('encodeInput', () => {
  it("writes a generated record as encodeRecord does (poison as its raw bytes) and a user's own record as its JSON", () => {
    const [event, second] = fc.sample(events({ count: 2, poisonShare: 0 }), { numRuns: 1, seed: 1 })[0]!;
    expect(encodeInput(event)).toEqual(encodeRecord(event!));
    const raw: StreamRecord = { kind: 'poison', id: 7, reason: 'undecodable', key: 'key-1', bytes: Uint8Array.from([0xff, 0x41]) };
    expect(encodeInput(raw)).toEqual(Buffer.from([0xff, 0x41]));
    expect(isStreamRecord(second)).toBe(true);
    expect(isStreamRecord(raw)).toBe(true);
    expect(isStreamRecord({ kind: 'poison', id: 1, key: 'k', bytes: 'not bytes' })).toBe(false);
    expect(encodeInput({ kind: 'event', user: 'own' }).toString()).toBe('{"kind":"event","user":"own"}');
    expect(() => encodeInput(undefined)).toThrow(/JSON data/);
  });
});

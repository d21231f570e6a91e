/**
 * Turns drawn drafts into a stream in arrival order (events.ts draws the drafts). Each event gets an arrival time:
 * an on-time event its timestamp plus a delay of at most the bound, a late one its timestamp plus more than the bound,
 * a duplicate the later of its original's arrival and its own delay.
 * Delivering by arrival time keeps every on-time event within the bound of the timestamps before it: if event i
 * arrives before event j, t_i + d_i <= t_j + d_j, so t_i <= t_j + d_j - d_i <= t_j + bound. `late` is then computed
 * from the order itself, so that it is a fact of the stream and not only the draft's intention.
 */
import type { PoisonReason, StreamRecord, TestEvent } from './stream-records.ts';

/** One drawn record before it is placed: its kind, and the random choices that place it. */
export interface Draft<V> {
  readonly kind: 'event' | 'late' | 'duplicate' | 'poison';
  readonly key: string;
  readonly value: V;
  /** Event time from the previous event to this one (0: a burst). */
  readonly stepMs: number;
  /** Arrival delay of an on-time event or a duplicate, at most the bound. */
  readonly delayMs: number;
  /** How far beyond the bound a late event arrives. */
  readonly latenessMs: number;
  /** Which earlier event a duplicate repeats. */
  readonly pick: number;
  readonly reason: PoisonReason;
  readonly poisonBytes: Uint8Array;
}

interface Placed<V> {
  readonly arrival: number;
  readonly order: number;
  readonly record: StreamRecord<V>;
}

/** Places the drafts and returns the stream's records in arrival order, with `late` set from that order. */
export function arrivalOrder<V>(drafts: readonly Draft<V>[], { startTime, maxOutOfOrderMs }: { startTime: number; maxOutOfOrderMs: number }): StreamRecord<V>[] {
  const placed: Placed<V>[] = [];
  const originals: { event: TestEvent<V>; arrival: number }[] = [];
  let time = startTime;
  let lastArrival = startTime;
  drafts.forEach((draft, id) => {
    const place = (arrival: number, record: StreamRecord<V>): void => {
      placed.push({ arrival, order: id, record });
      lastArrival = arrival;
    };
    if (draft.kind === 'poison') {
      // No timestamp to order by: it arrives among the records drawn around it.
      place(lastArrival, { kind: 'poison', id, reason: draft.reason, key: draft.key, bytes: poisonBytes(draft, id) });
      return;
    }
    const original = originals.length === 0 ? undefined : originals[draft.pick % originals.length];
    if (draft.kind === 'duplicate' && original !== undefined) {
      // After its original (ties go by draw order), and within the bound when the original is.
      place(Math.max(original.arrival, original.event.timestamp + draft.delayMs), { ...original.event, duplicate: true });
      return;
    }
    if (originals.length > 0) time += draft.stepMs;
    const event: TestEvent<V> = { kind: 'event', id, key: draft.key, value: draft.value, timestamp: time, late: false, duplicate: false };
    const arrival = draft.kind === 'late' ? time + maxOutOfOrderMs + draft.latenessMs : time + draft.delayMs;
    originals.push({ event, arrival });
    place(arrival, event);
  });
  placed.sort((a, b) => a.arrival - b.arrival || a.order - b.order);
  let newest = Number.NEGATIVE_INFINITY;
  return placed.map(({ record }) => {
    if (record.kind === 'poison') return record;
    const late = record.timestamp < newest - maxOutOfOrderMs;
    newest = Math.max(newest, record.timestamp);
    return late ? { ...record, late } : record;
  });
}

/** Undecodable: a byte that never starts UTF-8 (so not JSON either); missing timestamp: an event's JSON without one. */
function poisonBytes<V>(draft: Draft<V>, id: number): Uint8Array {
  if (draft.reason === 'missing-timestamp') return Buffer.from(JSON.stringify({ id, key: draft.key, value: draft.value }));
  // No line breaks: a file input holds one record per line.
  const body = [...draft.poisonBytes].filter((byte) => byte !== 0x0a && byte !== 0x0d);
  return Uint8Array.from([0xff, ...body]);
}

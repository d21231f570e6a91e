/**
 * The records of a generated event stream (events.ts), how they are written to a file line or a Kafka record, and the
 * reference a test compares a job's output with: each key's on-time events in event-time order.
 */

/** One event of a generated stream. */
export interface TestEvent<V = number> {
  readonly kind: 'event';
  /** The event's id: unique in its stream, except that a duplicate repeats its original's id. */
  readonly id: number;
  readonly key: string;
  readonly value: V;
  /** Event time, ms since the epoch. */
  readonly timestamp: number;
  /** It arrives more than the stream's bound behind the largest timestamp delivered before it. */
  readonly late: boolean;
  /** A second delivery of an event delivered before it (same id, key, value and timestamp). */
  readonly duplicate: boolean;
}

/** Why a poison record cannot be read as an event. */
export type PoisonReason = 'undecodable' | 'missing-timestamp';

/** A record that a job's decoder must reject (to a dead-letter output, or by failing loudly), never read as an event. */
export interface PoisonRecord {
  readonly kind: 'poison';
  /** Unique in its stream, like an event's id. */
  readonly id: number;
  readonly reason: PoisonReason;
  /** The raw record: invalid UTF-8 and not JSON, or a JSON event without `timestamp`. Never holds a line break. */
  readonly bytes: Uint8Array;
  /** The key it is produced with to Kafka (a poison record of a keyed topic still has a key). */
  readonly key: string;
}

/** A record of a generated stream: an event or a poison record. */
export type StreamRecord<V = number> = TestEvent<V> | PoisonRecord;

/** The JSON an event is written as (one file line, or a Kafka record's value): what a job's decoder reads. */
export interface EncodedEvent<V = number> {
  readonly id: number;
  readonly key: string;
  readonly value: V;
  readonly timestamp: number;
}

/**
 * The bytes of a record as a source delivers them, without a line break: an event as the JSON of
 * {@link EncodedEvent} (`late` and `duplicate` are the generator's knowledge, not the event's), a poison record as is.
 */
export function encodeRecord<V>(record: StreamRecord<V>): Buffer {
  if (record.kind === 'poison') return Buffer.from(record.bytes);
  const encoded: EncodedEvent<V> = { id: record.id, key: record.key, value: record.value, timestamp: record.timestamp };
  return Buffer.from(JSON.stringify(encoded));
}

/** Whether a value is a record that `events()` generated (and not a user's own input record that happens to have a `kind`). */
export function isStreamRecord(value: unknown): value is StreamRecord<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as { kind?: unknown; id?: unknown; key?: unknown; bytes?: unknown; late?: unknown; duplicate?: unknown; timestamp?: unknown };
  if (typeof record.id !== 'number' || typeof record.key !== 'string') return false;
  if (record.kind === 'poison') return record.bytes instanceof Uint8Array;
  return record.kind === 'event' && typeof record.late === 'boolean' && typeof record.duplicate === 'boolean' && typeof record.timestamp === 'number';
}

/**
 * How a test I/O writes one input record (a file line without its line break, or a Kafka record's value): a record
 * of `events()` as {@link encodeRecord} says, any other value as its JSON.
 */
export function encodeInput(record: unknown): Buffer {
  if (isStreamRecord(record)) return encodeRecord(record);
  const json = JSON.stringify(record) as string | undefined;
  if (json === undefined) throw new TypeError(`an input record must be JSON data, got ${typeof record}`);
  return Buffer.from(json);
}

/**
 * Reads a line or Kafka value written by {@link encodeRecord} back as an event, or throws a `SyntaxError`/`TypeError`
 * naming what is wrong: what a job's decoder does with the stream, given here so that tests and jobs share one reading.
 */
export function decodeEvent<V = number>(bytes: Uint8Array | string): EncodedEvent<V> {
  const text = typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  const parsed = JSON.parse(text) as Partial<EncodedEvent<V>> | null;
  if (typeof parsed !== 'object' || parsed === null) throw new TypeError(`not an event: ${text.slice(0, 80)}`);
  if (typeof parsed.key !== 'string') throw new TypeError(`event without a key: ${text.slice(0, 80)}`);
  if (typeof parsed.timestamp !== 'number' || !Number.isFinite(parsed.timestamp)) throw new TypeError(`event without a timestamp: ${text.slice(0, 80)}`);
  if (typeof parsed.id !== 'number') throw new TypeError(`event without an id: ${text.slice(0, 80)}`);
  return parsed as EncodedEvent<V>;
}

/**
 * Each key's events in event-time order (ties by id), each id once, late events and poison records left out: what a
 * job that drops late events and duplicates sees, key by key, once its watermarks have put the input in order.
 */
export function onTimeByKey<V>(records: readonly StreamRecord<V>[]): Map<string, TestEvent<V>[]> {
  const seen = new Set<number>();
  const byKey = new Map<string, TestEvent<V>[]>();
  for (const record of records) {
    if (record.kind !== 'event' || record.late || seen.has(record.id)) continue;
    seen.add(record.id);
    const events = byKey.get(record.key) ?? [];
    events.push(record);
    byKey.set(record.key, events);
  }
  for (const events of byKey.values()) events.sort((a, b) => a.timestamp - b.timestamp || a.id - b.id);
  return byKey;
}

/** How many records of each kind a stream has: what a test expects in its main, late and dead-letter outputs. */
export interface StreamCounts {
  readonly events: number;
  readonly late: number;
  readonly duplicates: number;
  readonly poison: number;
}

/** Counts a stream's events (every delivery), late deliveries, duplicate deliveries and poison records. */
export function countRecords(records: readonly StreamRecord<unknown>[]): StreamCounts {
  let events = 0;
  let late = 0;
  let duplicates = 0;
  let poison = 0;
  for (const record of records) {
    if (record.kind === 'poison') {
      poison++;
      continue;
    }
    events++;
    if (record.late) late++;
    if (record.duplicate) duplicates++;
  }
  return { events, late, duplicates, poison };
}

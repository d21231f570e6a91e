import type { PartitionBatch, ProducedRecord } from './client/index.ts';
import type { Serializer } from './serde.ts';

/** How a Kafka sink turns a record into a Kafka record: the options both the at-least-once and exactly-once writers share. */
export interface OutgoingRecordOptions<T> {
  /** The topic, or a function choosing it per record. */
  readonly topic: string | ((record: T) => string);
  readonly serializer: Serializer<T>;
  /** The record's key (the default partitioner hashes it as Java's client does); default none. */
  readonly key?: (record: T) => Buffer | string | null;
  readonly headers?: (record: T) => Record<string, Buffer | string>;
  /** An explicit partition per record; default: by key, or spread when there is none. */
  readonly partition?: (record: T) => number | undefined;
}

/** A record as the options made it: bytes or text, and its partition when the options chose one. */
export interface OutgoingMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
  partition?: number;
}

/** A record ready for a producer, with its topic. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly message: OutgoingMessage;
}

export function outgoingRecord<T>(options: OutgoingRecordOptions<T>, record: T): OutgoingRecord {
  const topic = typeof options.topic === 'string' ? options.topic : options.topic(record);
  const message: OutgoingMessage = { value: options.serializer(record) };
  if (options.key !== undefined) message.key = options.key(record);
  if (options.headers !== undefined) message.headers = options.headers(record);
  const partition = options.partition?.(record);
  if (partition !== undefined) message.partition = partition;
  return { topic, message };
}

/** A record serialised once, in the worker, to the bytes that go on the wire; `partition` when the job chose one. */
export interface Outgoing {
  readonly topic: string;
  readonly partition: number | undefined;
  readonly record: ProducedRecord;
}

/** Straight to wire bytes, with no OutgoingRecord in between: this runs once per record on the sink's hot path. */
export function toOutgoing<T>(options: OutgoingRecordOptions<T>, record: T): Outgoing {
  const topic = typeof options.topic === 'string' ? options.topic : options.topic(record);
  const key = options.key === undefined ? null : bytes(options.key(record) ?? null);
  const value = bytes(options.serializer(record));
  const produced: ProducedRecord = options.headers === undefined ? { key, value } : { key, value, headers: byteHeaders(options.headers(record)) };
  return { topic, partition: options.partition?.(record), record: produced };
}

/**
 * Records grouped by topic and chosen partition, in order, as bytes: the batches a producer sends. Records whose
 * partition the options left open form one batch per topic, which the client's default partitioner spreads.
 */
export function byPartition(records: Iterable<OutgoingRecord>): PartitionBatch[] {
  const batches = new Map<string, { topic: string; partition: number | undefined; records: ProducedRecord[] }>();
  for (const { topic, message } of records) {
    const id = `${topic}:${message.partition ?? ''}`;
    let batch = batches.get(id);
    if (batch === undefined) batches.set(id, (batch = { topic, partition: message.partition, records: [] }));
    batch.records.push(produced(message));
  }
  return [...batches.values()];
}

function produced({ key, value, headers }: OutgoingMessage): ProducedRecord {
  const record = { key: bytes(key ?? null), value: bytes(value) };
  return headers === undefined ? record : { ...record, headers: byteHeaders(headers) };
}

function byteHeaders(headers: Record<string, Buffer | string>): Record<string, Buffer> {
  const result: Record<string, Buffer> = {};
  for (const [name, header] of Object.entries(headers)) result[name] = bytes(header);
  return result;
}

function bytes(value: Buffer | string): Buffer;
function bytes(value: Buffer | string | null): Buffer | null;
function bytes(value: Buffer | string | null): Buffer | null {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

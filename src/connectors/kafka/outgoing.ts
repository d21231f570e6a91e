import type { Message } from 'kafkajs';
import type { ProducedRecord } from './client/index.ts';
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

/** A record ready for a producer, with its topic. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly message: Message;
}

export function outgoingRecord<T>(options: OutgoingRecordOptions<T>, record: T): OutgoingRecord {
  const topic = typeof options.topic === 'string' ? options.topic : options.topic(record);
  const message: Message = { value: options.serializer(record) };
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

export function toOutgoing<T>(options: OutgoingRecordOptions<T>, record: T): Outgoing {
  const topic = typeof options.topic === 'string' ? options.topic : options.topic(record);
  const key = options.key === undefined ? null : asBytes(options.key(record));
  const value = asBytes(options.serializer(record));
  const produced: ProducedRecord = options.headers === undefined ? { key, value } : { key, value, headers: headerBytes(options.headers(record)) };
  return { topic, partition: options.partition?.(record), record: produced };
}

const asBytes = (data: Buffer | string | null): Buffer | null => (typeof data === 'string' ? Buffer.from(data) : data);

function headerBytes(headers: Record<string, Buffer | string>): Record<string, Buffer> {
  const bytes: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers)) bytes[name] = typeof value === 'string' ? Buffer.from(value) : value;
  return bytes;
}

/** Messages grouped by topic, in order, as kafkajs's sendBatch takes them. */
export function byTopic(records: Iterable<OutgoingRecord>): { topic: string; messages: Message[] }[] {
  const topics = new Map<string, Message[]>();
  for (const { topic, message } of records) {
    let messages = topics.get(topic);
    if (messages === undefined) topics.set(topic, (messages = []));
    messages.push(message);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

import { Packr } from 'msgpackr';
import type { KafkaRecordView } from './client/index.ts';

export type { KafkaRecordView };

/** Turns a consumed record into the job's record; throwing marks it bad (dead letter or a failed job, with its offset). */
export type Deserializer<T> = (record: KafkaRecordView) => T;

/** Turns a record into a Kafka value or key. */
export type Serializer<T> = (record: T) => Buffer | string | null;

const packr = new Packr({ useRecords: false, moreTypes: true });

function valueOf(record: KafkaRecordView): Buffer {
  if (record.value === null) throw new Error('the record has no value (a tombstone)');
  return record.value;
}

export const deserializers = {
  json: <T>(): Deserializer<T> => (record) => JSON.parse(valueOf(record).toString('utf8')) as T,
  msgpack: <T>(): Deserializer<T> => (record) => packr.unpack(valueOf(record)) as T,
  string: (): Deserializer<string> => (record) => valueOf(record).toString('utf8'),
  /** The value's bytes; null stays null (a tombstone is a record here). */
  bytes: (): Deserializer<Buffer | null> => (record) => record.value,
};

export const serializers = {
  json: <T>(): Serializer<T> => (record) => JSON.stringify(record),
  msgpack: <T>(): Serializer<T> => (record) => packr.pack(record),
  string: (): Serializer<string> => (record) => record,
  bytes: (): Serializer<Buffer | null> => (record) => record,
};

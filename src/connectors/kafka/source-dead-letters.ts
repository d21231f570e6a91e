import { rejectRecord } from '../dead-letter.ts';
import { BadRecordError, type ReaderOutput, type SourceOutput } from '../source.ts';
import type { KafkaRecordView } from './client/index.ts';
import type { Deserializer } from './serde.ts';

/**
 * Emits a consumed record, or rejects it (a dead letter with the reason, or the job's failure, as the job chose) when
 * it cannot be read or the operators after the source refuse it; their other errors pass through.
 */
export function emitOrReject<T>(
  record: KafkaRecordView,
  deserializer: Deserializer<T>,
  split: SourceOutput<T>,
  output: ReaderOutput<T>,
  operator: string,
  /** The cluster the record came from, when the source reads several. */
  cluster?: string,
): void {
  let value: T;
  try {
    value = deserializer(record);
  } catch (error) {
    reject(record, error, record.value === null ? null : textOf(record.value), output, operator, cluster);
    return;
  }
  try {
    split.collect(value, record.timestamp);
  } catch (error) {
    if (!(error instanceof BadRecordError)) throw error;
    reject(record, error, value, output, operator, cluster);
  }
}

function reject<T>(record: KafkaRecordView, error: unknown, preview: unknown, output: ReaderOutput<T>, operator: string, cluster: string | undefined): void {
  const { topic, partition, offset } = record;
  rejectRecord(output, operator, {
    source: cluster === undefined ? { kind: 'kafka', topic, partition, offset } : { kind: 'kafka', cluster, topic, partition, offset },
    error,
    preview,
    key: record.key,
    value: record.value,
    headers: record.headers,
    timestamp: record.timestamp,
  });
}

/** A value's bytes as text, for a failure's preview: JSON values read as themselves, other bytes as best UTF-8 can. */
function textOf(value: Uint8Array): string {
  return new TextDecoder().decode(value);
}

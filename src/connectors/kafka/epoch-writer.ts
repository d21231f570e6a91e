import { Packr } from 'msgpackr';
import type { TransactionalSinkWriter } from '../sink.ts';
import { outgoingRecord, type OutgoingMessage, type OutgoingRecord, type OutgoingRecordOptions } from './outgoing.ts';

/**
 * One sink subtask's records of one epoch (the records between two barriers), kept in the checkpoint until a
 * transaction has published them: the write-ahead log that closes the commit gap (docs/architecture.md, hazards).
 * Plain data, since it is stored with the checkpoint as JSON.
 */
export interface KafkaEpoch {
  /** The sink subtask that wrote the epoch: its transactional id and epoch marker publish it. */
  readonly owner: number;
  /** The checkpoint whose barrier closed the epoch. */
  readonly epoch: number;
  readonly records: number;
  /** The records, msgpack-encoded as [topic, partition, key, value, headers] rows, then base64. */
  readonly data: string;
}

type Headers = NonNullable<OutgoingMessage['headers']>;
type Row = [topic: string, partition: number | null, key: Buffer | string | null, value: Buffer | string | null, headers: Headers | null];

const packr = new Packr({ useRecords: false });

export function encodeEpoch(owner: number, epoch: number, records: readonly OutgoingRecord[]): KafkaEpoch {
  const rows: Row[] = records.map(({ topic, message }) => [
    topic,
    message.partition ?? null,
    message.key ?? null,
    message.value,
    message.headers ?? null,
  ]);
  return { owner, epoch, records: rows.length, data: packr.pack(rows).toString('base64') };
}

export function decodeEpoch(epoch: KafkaEpoch): OutgoingRecord[] {
  const rows = packr.unpack(Buffer.from(epoch.data, 'base64')) as Row[];
  return rows.map(([topic, partition, key, value, headers]) => ({
    topic,
    message: {
      key: asBuffer(key),
      value: asBuffer(value),
      ...(partition === null ? {} : { partition }),
      ...(headers === null ? {} : { headers: headersAsBuffers(headers) }),
    },
  }));
}

/** msgpack gives bytes back as Uint8Array views; the client takes Buffers or strings. */
function asBuffer(bytes: Buffer | Uint8Array | string | null): Buffer | string | null {
  if (bytes === null || typeof bytes === 'string' || Buffer.isBuffer(bytes)) return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function headersAsBuffers(headers: Headers): Headers {
  const result: Headers = {};
  for (const [name, value] of Object.entries(headers)) result[name] = asBuffer(value)!;
  return result;
}

/**
 * Exactly-once writer: keeps the epoch's records in memory and hands them over at the barrier as the epoch's
 * committable; nothing reaches Kafka before the checkpoint completes. A restart replays what no completed checkpoint
 * holds, so there is nothing of earlier attempts to clear.
 */
export class KafkaEpochWriter<T> implements TransactionalSinkWriter<T, KafkaEpoch> {
  private records: OutgoingRecord[] = [];

  constructor(
    private readonly options: OutgoingRecordOptions<T>,
    private readonly subtask: number,
  ) {}

  write(record: T): void {
    this.records.push(outgoingRecord(this.options, record));
  }

  async prepareCommit(checkpointId: number): Promise<KafkaEpoch[]> {
    if (this.records.length === 0) return [];
    const epoch = encodeEpoch(this.subtask, checkpointId, this.records);
    this.records = [];
    return [epoch];
  }
}

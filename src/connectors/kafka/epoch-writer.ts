import { Packr } from 'msgpackr';
import { randomBytes } from 'node:crypto';
import type { SnapshotFiles, StoredFile } from '../../core/snapshot-files.ts';
import type { SinkContext, TransactionalSinkWriter } from '../sink.ts';
import { DEFAULT_EPOCH_MEMORY_BYTES, EpochLog } from './epoch-log.ts';
import { outgoingRecord, type OutgoingMessage, type OutgoingRecord, type OutgoingRecordOptions } from './outgoing.ts';

/**
 * One sink subtask's records of one epoch (the records between two barriers), kept in the checkpoint until a
 * transaction has published them: the write-ahead log that closes the commit gap (docs/architecture.md, hazards).
 * Plain data, since it is stored with the checkpoint as JSON; the records themselves are in a checkpoint file.
 */
export interface KafkaEpoch {
  /** The sink subtask that wrote the epoch: its transactional id and epoch marker publish it. */
  readonly owner: number;
  /** The checkpoint whose barrier closed the epoch. */
  readonly epoch: number;
  readonly records: number;
  /** The records as an epoch log (epoch-log.ts), written into the checkpoint that stores this epoch. */
  readonly file?: StoredFile;
  /** Checkpoints of earlier versions: the records, msgpack-encoded as [topic, partition, key, value, headers] rows, then base64. */
  readonly data?: string;
}

type Headers = NonNullable<OutgoingMessage['headers']>;
type Row = [topic: string, partition: number | null, key: Buffer | string | null, value: Buffer | string | null, headers: Headers | null];

const packr = new Packr({ useRecords: false });

/** An epoch in the inline format of earlier versions (tests build committables with it). */
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

export function decodeEpoch(epoch: KafkaEpoch & { readonly data: string }): OutgoingRecord[] {
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

/** The epoch logs of one sink subtask in this attempt, by epoch, until published: shared by its writer and its committer. */
export class EpochLogs {
  private readonly logs = new Map<number, EpochLog>();

  add(epoch: number, log: EpochLog): void {
    this.logs.set(epoch, log);
  }

  get(epoch: KafkaEpoch, subtask: number): EpochLog | undefined {
    return epoch.owner === subtask ? this.logs.get(epoch.epoch) : undefined;
  }

  async discard(epochs: Iterable<number>): Promise<void> {
    for (const epoch of epochs) {
      const log = this.logs.get(epoch);
      this.logs.delete(epoch);
      await log?.discard();
    }
  }

  async discardAll(): Promise<void> {
    await this.discard([...this.logs.keys()]);
  }
}

/**
 * Exactly-once writer: encodes the epoch's records as they come into an epoch log (bounded in memory, spilling to the
 * attempt's scratch directory) and hands the epoch over at the barrier as the epoch's committable; nothing reaches
 * Kafka before the checkpoint completes. Every checkpoint that holds an unpublished epoch gets a file of its records
 * (an aborted checkpoint deletes its own files, so none relies on another's), and a savepoint gets its own copy. A
 * restart replays what no completed checkpoint holds, so there is nothing of earlier attempts to clear.
 */
export class KafkaEpochWriter<T> implements TransactionalSinkWriter<T, KafkaEpoch> {
  private log: EpochLog;

  constructor(
    private readonly options: OutgoingRecordOptions<T>,
    private readonly ctx: SinkContext,
    private readonly logs: EpochLogs,
    private readonly memoryBytes = DEFAULT_EPOCH_MEMORY_BYTES,
  ) {
    this.log = this.newLog();
  }

  write(record: T): void {
    this.log.append(outgoingRecord(this.options, record));
  }

  /** Appends a record made already (by a writer that partitions or checks records itself). */
  append(record: OutgoingRecord): void {
    this.log.append(record);
  }

  /** After each batch: an epoch past its memory bound goes to its spill file before more input comes. */
  flush(): Promise<void> | undefined {
    return this.log.overMemoryLimit ? this.log.spillMemory() : undefined;
  }

  async prepareCommit(checkpointId: number): Promise<KafkaEpoch[]> {
    if (this.log.records === 0) return [];
    const log = this.log;
    this.log = this.newLog();
    await log.seal();
    this.logs.add(checkpointId, log);
    return [{ owner: this.ctx.subtaskIndex, epoch: checkpointId, records: log.records }];
  }

  async snapshotPending(epochs: readonly KafkaEpoch[], files: SnapshotFiles): Promise<KafkaEpoch[]> {
    const stored: KafkaEpoch[] = [];
    for (const epoch of epochs) {
      // Restored epochs are published before any input, so every pending epoch is this attempt's; a log is let go only
      // once its epoch is published, which may have happened since the operator listed it.
      const log = this.logs.get(epoch, this.ctx.subtaskIndex);
      if (log === undefined) continue;
      const { owner, records } = epoch;
      stored.push({ owner, epoch: epoch.epoch, records, file: await files.write(`epoch-${epoch.epoch}`, log.chunks()) });
    }
    return stored;
  }

  async published(epochs: readonly KafkaEpoch[]): Promise<void> {
    await this.logs.discard(epochs.filter((epoch) => epoch.owner === this.ctx.subtaskIndex).map((epoch) => epoch.epoch));
  }

  async close(): Promise<void> {
    await this.log.discard();
    await this.logs.discardAll();
  }

  private newLog(): EpochLog {
    return new EpochLog(this.ctx.scratchDir, `epoch-${this.ctx.subtaskIndex}-${randomBytes(6).toString('hex')}`, this.memoryBytes);
  }
}

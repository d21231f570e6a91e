import type { SinkContext } from '../sink.ts';
import { describeError, WeirError } from '../../core/errors.ts';
import { faultPoint } from '../../core/fault-points.ts';
import type { StoredFile } from '../../core/snapshot-files.ts';
import type { KafkaAdmin, KafkaClient, TransactionalProducer } from './client/index.ts';
import { decodeEpoch, type EpochLogs, type KafkaEpoch } from './epoch-writer.ts';
import { BATCH_BYTES, decodeEpochLog } from './epoch-log.ts';
import { byPartition, type OutgoingRecord } from './outgoing.ts';

/** One transactional id on one cluster, and where its epoch marker lives. */
export interface PublisherSettings {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  /** The topic whose partition 0 carries the id's epoch marker (an offset committed under the transactional id). */
  readonly markerTopic: string;
  /** For the fencing message. */
  readonly jobId: string;
}

/**
 * One transactional id held on one cluster (docs/architecture.md, hazards: the commit gap): its producer and the
 * newest epoch published under it there, the marker. Taking the id over completes or aborts whatever an earlier holder
 * left open; the marker then says which epochs are out, and each publish sends epochs after it in one transaction that
 * also moves the marker. So an epoch is published once per (cluster, transactional id), whatever the crash.
 */
export class TransactionalPublisher {
  private abandoned = false;
  private publishing = false;

  private constructor(
    private readonly settings: PublisherSettings,
    private readonly producer: TransactionalProducer,
    /** The newest epoch published under this id on this cluster. */
    public committedThrough: number,
  ) {}

  get transactionalId(): string {
    return this.settings.transactionalId;
  }

  /** Takes the id over on the client's cluster, fencing every earlier holder, and reads its marker. */
  static async takeOver(client: KafkaClient, admin: KafkaAdmin, settings: PublisherSettings): Promise<TransactionalPublisher> {
    const { transactionalId, transactionTimeoutMs, markerTopic } = settings;
    let producer: TransactionalProducer;
    try {
      producer = await client.transactionalProducer({ transactionalId, transactionTimeoutMs });
    } catch (error) {
      throw new WeirError(`cannot take over Kafka transactional id '${transactionalId}': ${describeError(error)}`, { cause: error, retriable: true });
    }
    try {
      const marker = (await admin.committedOffsets(transactionalId, markerTopic)).get(0) ?? 0;
      return new TransactionalPublisher(settings, producer, marker);
    } catch (error) {
      await producer.close().catch(() => {});
      throw error;
    }
  }

  /**
   * Sends the batches and moves the marker to `epoch`, in one transaction. On failure the producer is closed (its
   * state is unknown: docs/architecture.md, hazards) and the publisher is not used again.
   */
  async publish(batches: AsyncIterable<OutgoingRecord[]>, epoch: number): Promise<void> {
    this.publishing = true;
    try {
      await this.publishInTransaction(batches, epoch);
    } finally {
      this.publishing = false;
    }
  }

  private async publishInTransaction(batches: AsyncIterable<OutgoingRecord[]>, epoch: number): Promise<void> {
    const began = Date.now();
    const transaction = await this.producer.begin();
    try {
      for await (const batch of batches) {
        this.throwIfAbandoned();
        await transaction.send(byPartition(batch));
      }
      await transaction.sendOffsets(this.transactionalId, [{ topic: this.settings.markerTopic, partition: 0, offset: epoch }]);
      // The commit gap's worst moments: the epoch sent but not committed, and committed but not yet known to the operator.
      faultPoint('kafka-before-commit');
      this.throwIfAbandoned();
      await transaction.commit();
      faultPoint('kafka-after-commit');
      this.committedThrough = epoch;
    } catch (error) {
      // Aborted at once rather than left open until the transaction timeout: read_committed readers of the partitions wait for it.
      await transaction.abort().catch(() => {});
      await this.producer.close().catch(() => {});
      throw this.describeFailure(error, Date.now() - began);
    }
  }

  /**
   * The caller gave up on this publisher (its cluster stopped answering) and never awaits it again: it commits nothing
   * from now on. A publish under way aborts its transaction at its next step (once the cluster answers) and closes the
   * producer itself; an idle producer is closed now, in the background.
   */
  abandon(): void {
    this.abandoned = true;
    if (!this.publishing) void this.producer.close().catch(() => {});
  }

  async close(): Promise<void> {
    await this.producer.close();
  }

  private throwIfAbandoned(): void {
    if (this.abandoned) throw new WeirError(`the publish under '${this.transactionalId}' was given up (its cluster did not answer in time)`, { retriable: true });
  }

  private describeFailure(error: unknown, openMs: number): WeirError {
    if (error instanceof WeirError && this.abandoned) return error;
    // Old protocol versions report a coordinator-side timeout the same way as fencing; only the elapsed time tells.
    if (this.producer.isFencing(error) && openMs < this.settings.transactionTimeoutMs) {
      // Not fatal here: the job's checkpoint claim decides which instance goes on (see runJob).
      return new WeirError(`Kafka transactional id '${this.transactionalId}' was taken over by another instance of job '${this.settings.jobId}' (fenced)`, {
        cause: error,
        code: 'WEIR_FENCED',
      });
    }
    return new WeirError(`the Kafka transaction publishing epoch output under '${this.transactionalId}' failed: ${describeError(error)}`, { cause: error, retriable: true });
  }
}

/** Whether an error says that another instance holds the transactional id: a reason to stop, never to retry elsewhere. */
export function isFencedError(error: unknown): boolean {
  return error instanceof WeirError && error.code === 'WEIR_FENCED';
}

/**
 * A marker beyond the newest checkpoint known complete means that another instance got ahead (or the job id's
 * checkpoints were removed): publishing on would write what that instance's checkpoints do not know of.
 */
export class MarkerAheadError extends WeirError {
  constructor(transactionalId: string, marker: number, restoredFrom: number, jobId: string) {
    super(
      `Kafka transactional id '${transactionalId}' has published the output of checkpoint ${marker}, but this run ` +
        `restored ${restoredFrom === 0 ? 'no checkpoint' : `checkpoint ${restoredFrom}`}: another instance of job '${jobId}' ` +
        `is ahead (a restart restores its newer checkpoint), or this job id's checkpoints were removed (give the job a new id)`,
    );
  }
}

/**
 * Fails at start when the transaction timeout cannot work: below the checkpoint interval (an epoch could not be
 * published in time) or above the broker's cap (`transaction.max.timeout.ms`).
 */
export async function checkTransactionTimeout(timeout: number, checkpointIntervalMs: number | undefined, admin: KafkaAdmin): Promise<void> {
  if (checkpointIntervalMs !== undefined && timeout < checkpointIntervalMs) {
    throw new WeirError(
      `the Kafka sink's transactionTimeoutMs (${timeout}) is below the checkpoint interval (${checkpointIntervalMs} ms): an epoch's records could not be published in time`,
      { fatal: true },
    );
  }
  const brokerMax = Number(await admin.brokerConfig('transaction.max.timeout.ms'));
  if (Number.isFinite(brokerMax) && timeout > brokerMax) {
    throw new WeirError(
      `the Kafka sink's transactionTimeoutMs (${timeout}) is above the broker's transaction.max.timeout.ms (${brokerMax}): lower it or raise the broker's limit`,
      { fatal: true },
    );
  }
}

/**
 * An epoch's records in order, in batches of about BATCH_BYTES, read as they are sent, never all at once: from this
 * attempt's epoch log, else from the restored checkpoint's file, else inline (checkpoints of earlier versions).
 */
export async function* epochRecords(epoch: KafkaEpoch, ctx: SinkContext, logs: EpochLogs): AsyncGenerator<OutgoingRecord[]> {
  const log = logs.get(epoch, ctx.subtaskIndex);
  if (log !== undefined) yield* decodeEpochLog(log.chunks());
  else if (epoch.file !== undefined) yield* decodeEpochLog(restoredFile(ctx, epoch.file));
  else if (epoch.data !== undefined) yield* chunks(decodeEpoch({ ...epoch, data: epoch.data }));
  else throw new WeirError(`epoch ${epoch.epoch} of sink subtask ${epoch.owner} names no records: neither this attempt nor its checkpoint holds them`);
}

function restoredFile(ctx: SinkContext, file: StoredFile): AsyncIterable<Uint8Array> {
  const restored = ctx.restored;
  if (restored === undefined) throw new WeirError(`an epoch names the checkpoint file ${file.path}, but this attempt restored no checkpoint`);
  return restored.readFile(file);
}

/** Consecutive slices of about BATCH_BYTES each (epochs of earlier versions' checkpoints). */
function* chunks(records: readonly OutgoingRecord[]): Generator<OutgoingRecord[]> {
  let chunk: OutgoingRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    chunk.push(record);
    bytes += sizeOf(record.message.value) + sizeOf(record.message.key) + 64;
    if (bytes >= BATCH_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

function sizeOf(bytes: Buffer | string | null | undefined): number {
  if (bytes === null || bytes === undefined) return 0;
  return typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
}

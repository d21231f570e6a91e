import type { Committer, SinkContext } from '../sink.ts';
import { describeError, isFatal, WeirError } from '../../core/errors.ts';
import { createLogger } from '../../observe/logger.ts';
import { faultPoint } from '../../core/fault-points.ts';
import { sleep } from '../../core/signal.ts';
import { createKafkaClient, type KafkaAdmin, type KafkaClient, type KafkaConnectionOptions, type TransactionalProducer } from './client/index.ts';
import { decodeEpoch, EpochLogs, type KafkaEpoch } from './epoch-writer.ts';
import { BATCH_BYTES, decodeEpochLog } from './epoch-log.ts';
import type { StoredFile } from '../../core/snapshot-files.ts';
import { byPartition, type OutgoingRecord } from './outgoing.ts';

export interface TransactionSettings extends KafkaConnectionOptions {
  /** Transactional ids are `<prefix>-<subtask>`; stable per job and sink, so a restarted or second instance fences the first. */
  readonly transactionalIdPrefix: string;
  readonly transactionTimeoutMs: number;
  /** The topic whose partition 0 carries each subtask's epoch marker (a transactional offset commit). */
  readonly markerTopic: string;
}

const log = createLogger(undefined, { component: 'kafka-sink' });

/** A publish that fails retriably (a coordinator moved or loading) is tried this often before the attempt fails. */
const PUBLISH_ATTEMPTS = 5;

/** One transactional id in use: its producer and the newest epoch it has published. */
interface Owner {
  readonly transactionalId: string;
  readonly producer: TransactionalProducer;
  committedThrough: number;
}

/**
 * Publishes epochs in Kafka transactions (docs/architecture.md, hazards: the commit gap). Each owner's epochs go out in one transaction
 * under the owner's transactional id, with a transactional offset commit whose offset is the newest epoch: the
 * marker. A restore first takes over the id (which completes or aborts whatever an earlier holder left open), then
 * reads the marker and sends only the epochs after it; so an epoch is published once, whatever the crash.
 */
export class KafkaTransactionCommitter implements Committer<KafkaEpoch> {
  private readonly client: KafkaClient;
  private admin: KafkaAdmin | undefined;
  private readonly owners = new Map<number, Owner>();

  constructor(
    private readonly settings: TransactionSettings,
    private readonly ctx: SinkContext,
    /** The checkpoint this start restored: no marker may be newer (a newer one means another instance got ahead). */
    private readonly restoredFrom: number,
    /** This attempt's unpublished epochs, filled by the subtask's writer; restored epochs are read from their checkpoint files. */
    private readonly logs: EpochLogs = new EpochLogs(),
  ) {
    this.client = createKafkaClient({ ...settings, clientId: `weir-sink-${ctx.subtaskIndex}` });
  }

  /** Checks the transaction timeout, and takes over this subtask's transactional id now, fencing any earlier holder. */
  async open(): Promise<void> {
    this.admin = await this.client.admin();
    await this.checkTransactionTimeout(this.admin);
    await this.ownerFor(this.ctx.subtaskIndex, this.restoredFrom);
  }

  async commit(committables: readonly KafkaEpoch[]): Promise<void> {
    const byOwner = new Map<number, KafkaEpoch[]>();
    for (const epoch of committables) {
      const list = byOwner.get(epoch.owner);
      if (list === undefined) byOwner.set(epoch.owner, [epoch]);
      else list.push(epoch);
    }
    // These checkpoints are complete: markers up to the newest of them are expected, beyond it they are not.
    const newestComplete = Math.max(this.restoredFrom, ...committables.map((epoch) => epoch.epoch));
    for (const [ownerIndex, epochs] of [...byOwner].sort(([a], [b]) => a - b)) {
      for (let attempt = 1; ; attempt++) {
        // After a failed attempt this takes the id over again, which settles the failed transaction either way,
        // and the marker then says whether its commit went through: a retry never publishes twice.
        const owner = await this.ownerFor(ownerIndex, newestComplete);
        const due = epochs.filter((epoch) => epoch.epoch > owner.committedThrough).sort((a, b) => a.epoch - b.epoch);
        if (due.length === 0) break;
        const newest = due[due.length - 1]!.epoch;
        try {
          await this.publish(ownerIndex, owner, this.recordsOf(due), newest);
          owner.committedThrough = newest;
          break;
        } catch (error) {
          // Fenced: taking the id back here would fence the instance that took it; the job decides who goes on.
          if (isFatal(error) || (error instanceof WeirError && error.code === 'WEIR_FENCED') || attempt >= PUBLISH_ATTEMPTS) throw error;
          log.warn({ transactionalId: owner.transactionalId, attempt, err: error }, 'publishing an epoch failed; trying again');
          await sleep(200 * attempt);
        }
      }
    }
  }

  /** Nothing of an epoch reaches Kafka before its commit: an aborted checkpoint leaves nothing to undo. */
  async abort(): Promise<void> {}

  async close(): Promise<void> {
    const owners = [...this.owners.values()];
    this.owners.clear();
    await Promise.allSettled(owners.map((owner) => owner.producer.close()));
    await this.admin?.close();
    this.admin = undefined;
    await this.client.close();
  }

  /** The epochs' records in order, in batches of about BATCH_BYTES: read as they are sent, never all at once. */
  private async *recordsOf(epochs: readonly KafkaEpoch[]): AsyncGenerator<OutgoingRecord[]> {
    for (const epoch of epochs) {
      const log = this.logs.get(epoch, this.ctx.subtaskIndex);
      if (log !== undefined) yield* decodeEpochLog(log.chunks());
      else if (epoch.file !== undefined) yield* decodeEpochLog(this.restoredFile(epoch.file));
      else if (epoch.data !== undefined) yield* chunks(decodeEpoch({ ...epoch, data: epoch.data }));
      else throw new WeirError(`epoch ${epoch.epoch} of sink subtask ${epoch.owner} names no records: neither this attempt nor its checkpoint holds them`);
    }
  }

  private restoredFile(file: StoredFile): AsyncIterable<Uint8Array> {
    const restored = this.ctx.restored;
    if (restored === undefined) throw new WeirError(`an epoch names the checkpoint file ${file.path}, but this attempt restored no checkpoint`);
    return restored.readFile(file);
  }

  private async publish(ownerIndex: number, owner: Owner, batches: AsyncIterable<OutgoingRecord[]>, epoch: number): Promise<void> {
    const began = Date.now();
    const transaction = await owner.producer.begin();
    try {
      for await (const batch of batches) await transaction.send(byPartition(batch));
      await transaction.sendOffsets(owner.transactionalId, [{ topic: this.settings.markerTopic, partition: 0, offset: epoch }]);
      // The commit gap's worst moments: the epoch sent but not committed, and committed but not yet known to the operator.
      faultPoint('kafka-before-commit');
      await transaction.commit();
      faultPoint('kafka-after-commit');
    } catch (error) {
      await transaction.abort().catch(() => {});
      // A producer that failed mid-transaction is in an unknown state: the next use starts a new one (docs/architecture.md, hazards).
      this.owners.delete(ownerIndex);
      await owner.producer.close().catch(() => {});
      throw this.describeFailure(owner, error, Date.now() - began);
    }
  }

  private describeFailure(owner: Owner, error: unknown, openMs: number): WeirError {
    // Old protocol versions report a coordinator-side timeout the same way as fencing; only the elapsed time tells.
    if (owner.producer.isFencing(error) && openMs < this.settings.transactionTimeoutMs) {
      // Not fatal here: the job's checkpoint claim decides which instance goes on (see runJob).
      return new WeirError(`Kafka transactional id '${owner.transactionalId}' was taken over by another instance of job '${this.ctx.jobId}' (fenced)`, {
        cause: error,
        code: 'WEIR_FENCED',
      });
    }
    return new WeirError(`the Kafka transaction publishing epoch output under '${owner.transactionalId}' failed: ${describeError(error)}`, { cause: error, retriable: true });
  }

  /**
   * The producer of an owner's transactional id, taking the id over on first use. `newestComplete`: the newest
   * checkpoint known complete; a marker beyond it means that another instance got ahead.
   */
  private async ownerFor(index: number, newestComplete: number): Promise<Owner> {
    const known = this.owners.get(index);
    if (known !== undefined) return known;
    const transactionalId = `${this.settings.transactionalIdPrefix}-${index}`;
    let producer: TransactionalProducer;
    try {
      producer = await this.client.transactionalProducer({ transactionalId, transactionTimeoutMs: this.settings.transactionTimeoutMs });
    } catch (error) {
      throw new WeirError(`cannot take over Kafka transactional id '${transactionalId}': ${describeError(error)}`, { cause: error, retriable: true });
    }
    const marker = (await this.admin!.committedOffsets(transactionalId, this.settings.markerTopic)).get(0) ?? 0;
    if (marker > newestComplete) {
      await producer.close().catch(() => {});
      throw new WeirError(
        `Kafka transactional id '${transactionalId}' has published the output of checkpoint ${marker}, but this run ` +
          `restored ${this.restoredFrom === 0 ? 'no checkpoint' : `checkpoint ${this.restoredFrom}`}: another instance of job '${this.ctx.jobId}' ` +
          `is ahead (a restart restores its newer checkpoint), or this job id's checkpoints were removed (give the job a new id)`,
      );
    }
    const owner: Owner = { transactionalId, producer, committedThrough: marker };
    this.owners.set(index, owner);
    return owner;
  }

  private async checkTransactionTimeout(admin: KafkaAdmin): Promise<void> {
    const timeout = this.settings.transactionTimeoutMs;
    const interval = this.ctx.checkpointIntervalMs;
    if (interval !== undefined && timeout < interval) {
      throw new WeirError(
        `the Kafka sink's transactionTimeoutMs (${timeout}) is below the checkpoint interval (${interval} ms): an epoch's records could not be published in time`,
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

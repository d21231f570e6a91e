import type { Committer, SinkContext } from '../sink.ts';
import { isFatal } from '../../core/errors.ts';
import { createLogger } from '../../observe/logger.ts';
import { sleep } from '../../core/signal.ts';
import { createKafkaClient, type KafkaAdmin, type KafkaClient, type KafkaConnectionOptions } from './client/index.ts';
import { EpochLogs, type KafkaEpoch } from './epoch-writer.ts';
import type { OutgoingRecord } from './outgoing.ts';
import { checkTransactionTimeout, epochRecords, isFencedError, MarkerAheadError, TransactionalPublisher } from './transactional-publisher.ts';

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

/**
 * Publishes epochs in Kafka transactions (docs/architecture.md, hazards: the commit gap). Each owner's epochs go out in one transaction
 * under the owner's transactional id, with a transactional offset commit whose offset is the newest epoch: the
 * marker. A restore first takes over the id (which completes or aborts whatever an earlier holder left open), then
 * reads the marker and sends only the epochs after it; so an epoch is published once, whatever the crash.
 */
export class KafkaTransactionCommitter implements Committer<KafkaEpoch> {
  private readonly client: KafkaClient;
  private admin: KafkaAdmin | undefined;
  private readonly owners = new Map<number, TransactionalPublisher>();

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
    await checkTransactionTimeout(this.settings.transactionTimeoutMs, this.ctx.checkpointIntervalMs, this.admin);
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
          await owner.publish(this.recordsOf(due), newest);
          break;
        } catch (error) {
          // A producer that failed mid-transaction is in an unknown state: the next use starts a new one (docs/architecture.md, hazards).
          this.owners.delete(ownerIndex);
          // Fenced: taking the id back here would fence the instance that took it; the job decides who goes on.
          if (isFatal(error) || isFencedError(error) || attempt >= PUBLISH_ATTEMPTS) throw error;
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
    await Promise.allSettled(owners.map((owner) => owner.close()));
    await this.admin?.close();
    this.admin = undefined;
    await this.client.close();
  }

  /** The epochs' records in order, in batches of about BATCH_BYTES: read as they are sent, never all at once. */
  private async *recordsOf(epochs: readonly KafkaEpoch[]): AsyncGenerator<OutgoingRecord[]> {
    for (const epoch of epochs) yield* epochRecords(epoch, this.ctx, this.logs);
  }

  /**
   * The producer of an owner's transactional id, taking the id over on first use. `newestComplete`: the newest
   * checkpoint known complete; a marker beyond it means that another instance got ahead.
   */
  private async ownerFor(index: number, newestComplete: number): Promise<TransactionalPublisher> {
    const known = this.owners.get(index);
    if (known !== undefined) return known;
    const { transactionTimeoutMs, markerTopic } = this.settings;
    const transactionalId = `${this.settings.transactionalIdPrefix}-${index}`;
    const owner = await TransactionalPublisher.takeOver(this.client, this.admin!, { transactionalId, transactionTimeoutMs, markerTopic, jobId: this.ctx.jobId });
    if (owner.committedThrough > newestComplete) {
      await owner.close().catch(() => {});
      throw new MarkerAheadError(transactionalId, owner.committedThrough, this.restoredFrom, this.ctx.jobId);
    }
    this.owners.set(index, owner);
    return owner;
  }
}

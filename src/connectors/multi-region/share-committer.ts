import type { Committer, SinkContext } from '../sink.ts';
import { describeError, isFatal, WeirError } from '../../core/errors.ts';
import { createLogger } from '../../observe/logger.ts';
import { sleep, TimeoutError, withTimeout } from '../../core/signal.ts';
import type { EpochLogs } from '../kafka/epoch-writer.ts';
import { checkTransactionTimeout, epochRecords, isFencedError, MarkerAheadError } from '../kafka/transactional-publisher.ts';
import { shareRecords, type ClusterEpoch } from './shares.ts';
import { TakeoverPendingError, type SinkCluster } from './sink-cluster.ts';
import type { SinkClusters } from './sink-clusters.ts';

const log = createLogger(undefined, { component: 'multi-cluster-sink' });

export interface ShareCommitSettings {
  readonly transactionalIdPrefix: string;
  readonly transactionTimeoutMs: number;
  /**
   * How long one cluster's publish of a share may take before the share goes to the next cluster (the publish is given
   * up and the cluster counts as failed); also how long a share waits for a takeover under way before it tries the next.
   */
  readonly publishTimeoutMs: number;
  /** How long a takeover of a transactional id may take before it is given up and its cluster counts as failed. */
  readonly takeoverTimeoutMs: number;
  /** How long to wait for a cluster to come back when none is ready. */
  readonly retryWaitMs: number;
}

/** The epochs of one share of one owner (sink subtask), published together under one transactional id. */
interface ShareUnit {
  readonly owner: number;
  readonly share: string;
  readonly epochs: ClusterEpoch[];
}

/**
 * Publishes a multi-cluster sink's epochs: each share of an epoch in one Kafka transaction under
 * `<prefix>-<owner>@<share>`, on the share's own cluster or, when that one fails or misses `publishTimeoutMs`, on the
 * next ready cluster, with that (cluster, id)'s own epoch marker (transactional-publisher.ts). Shares on different
 * clusters publish at the same time. A share is done once any cluster's marker of its id has reached its epoch; on a
 * given cluster an epoch is never published twice under one id, whatever the crash.
 */
export class ShareCommitter implements Committer<ClusterEpoch> {
  /** Per transactional id, the newest epoch known published under it on some cluster (markers read, publishes done). */
  private readonly doneThrough = new Map<string, number>();
  private opened = false;

  constructor(
    private readonly settings: ShareCommitSettings,
    private readonly ctx: SinkContext,
    /** The checkpoint this start restored: no marker may be newer (a newer one means another instance got ahead). */
    private readonly restoredFrom: number,
    private readonly logs: EpochLogs,
    private readonly clusters: SinkClusters,
  ) {}

  /**
   * On each cluster that answers: checks the transaction timeout, and takes over this subtask's id of every share (its
   * own cluster's first). A failover then needs no takeover (the first on a fresh broker is slow), and a transaction
   * that a crash left open under any of the ids, on any cluster, is ended now rather than at its transaction timeout.
   */
  async open(): Promise<void> {
    this.opened = true;
    await this.clusters.start();
    const { transactionTimeoutMs, takeoverTimeoutMs } = this.settings;
    const clusters = this.clusters.all();
    await Promise.all(
      clusters.map(async (cluster) => {
        if (!cluster.usable) return;
        const shares = [cluster.id, ...clusters.map((other) => other.id).filter((id) => id !== cluster.id)];
        try {
          await cluster.adminCall((admin) => checkTransactionTimeout(transactionTimeoutMs, this.ctx.checkpointIntervalMs, admin), 'reading transaction.max.timeout.ms');
          for (const share of shares) {
            const publisher = await cluster.publisher(this.publisherSettings(cluster, this.ctx.subtaskIndex, share), takeoverTimeoutMs, takeoverTimeoutMs);
            if (publisher.committedThrough > this.restoredFrom) throw new MarkerAheadError(publisher.transactionalId, publisher.committedThrough, this.restoredFrom, this.ctx.jobId);
          }
        } catch (error) {
          if (isFatal(error) || !(error instanceof TimeoutError || (error instanceof WeirError && error.retriable))) throw error;
          log.warn({ cluster: cluster.id, err: describeError(error) }, 'a sink cluster failed at start; it receives once its health check and a takeover succeed');
          if (!(error instanceof TakeoverPendingError)) cluster.markUnreachable(error);
        }
      }),
    );
  }

  async commit(committables: readonly ClusterEpoch[]): Promise<void> {
    const units = new Map<string, ShareUnit>();
    for (const epoch of committables) {
      for (const share of epoch.shares) {
        const key = `${epoch.owner}@${share}`;
        let unit = units.get(key);
        if (unit === undefined) units.set(key, (unit = { owner: epoch.owner, share, epochs: [] }));
        unit.epochs.push(epoch);
      }
    }
    // These checkpoints are complete: markers up to the newest of them are expected, beyond it they are not.
    const newestComplete = Math.max(this.restoredFrom, ...committables.map((epoch) => epoch.epoch));
    const results = await Promise.allSettled([...units.values()].map((unit) => this.publishShare(unit, newestComplete)));
    this.clusters.report();
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /** Nothing of an epoch reaches Kafka before its commit: an aborted checkpoint leaves nothing to undo. */
  async abort(): Promise<void> {}

  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    await this.clusters.release();
  }

  private async publishShare(unit: ShareUnit, newestComplete: number): Promise<void> {
    const { share, owner } = unit;
    const epochs = [...unit.epochs].sort((a, b) => a.epoch - b.epoch);
    const transactionalId = `${this.settings.transactionalIdPrefix}-${owner}@${share}`;
    await this.readMarkers(transactionalId, newestComplete);
    // Every cluster down: the epochs wait in the checkpoint; past the transaction timeout the job restarts from it.
    const giveUpAt = Date.now() + Math.max(this.settings.transactionTimeoutMs, 3 * this.settings.publishTimeoutMs);
    let lastError: unknown;
    for (;;) {
      for (const cluster of this.clusters.candidates(share)) {
        try {
          if (await this.publishOn(cluster, unit, epochs, transactionalId, newestComplete)) return;
        } catch (error) {
          // Slow, not failed: the takeover goes on and the cluster is used once it answers.
          if (error instanceof TakeoverPendingError) {
            lastError = error;
            log.info({ cluster: cluster.id, share, transactionalId }, 'a takeover is still under way on a cluster; the share tries the next one meanwhile');
            continue;
          }
          // Fenced: another instance holds the id, which no other cluster changes; the job decides who goes on.
          if (isFatal(error) || isFencedError(error) || error instanceof MarkerAheadError) throw error;
          lastError = error;
          cluster.markUnreachable(error);
          cluster.failovers++;
          log.warn({ cluster: cluster.id, share, transactionalId, err: describeError(error) }, 'publishing a share failed on a cluster; it goes to the next ready one');
          this.clusters.report();
        }
      }
      if (Date.now() >= giveUpAt) {
        throw new WeirError(`no Kafka cluster took share '${share}' of sink subtask ${owner} (epochs ${epochs.map((epoch) => epoch.epoch).join(', ')}): ${describeError(lastError ?? 'none was ready')}`, {
          cause: lastError,
          retriable: true,
        });
      }
      // None ready, or each failed: a health check may find one back.
      await sleep(this.settings.retryWaitMs);
    }
  }

  /** Publishes the share's epochs not yet out on `cluster`; false when the cluster failed and the next should take them. */
  private async publishOn(cluster: SinkCluster, unit: ShareUnit, epochs: readonly ClusterEpoch[], transactionalId: string, newestComplete: number): Promise<boolean> {
    const publisher = await cluster.publisher(this.publisherSettings(cluster, unit.owner, unit.share), this.settings.publishTimeoutMs, this.settings.takeoverTimeoutMs);
    if (publisher.committedThrough > newestComplete) {
      cluster.dropPublisher(publisher, undefined);
      await publisher.close().catch(() => {});
      throw new MarkerAheadError(transactionalId, publisher.committedThrough, this.restoredFrom, this.ctx.jobId);
    }
    // On this cluster, never an epoch at or before its own marker; elsewhere-published epochs are skipped as well.
    const done = Math.max(publisher.committedThrough, this.doneThrough.get(transactionalId) ?? 0);
    const due = epochs.filter((epoch) => epoch.epoch > done);
    if (due.length === 0) return true;
    const newest = due[due.length - 1]!.epoch;
    const producerOf = (owner: number): string => `${this.ctx.jobId}/${this.ctx.operatorId}/${owner}`;
    const records = shareRecords(due, unit.share, cluster.topic, producerOf, (epoch) => epochRecords(epoch, this.ctx, this.logs));
    const publishing = publisher.publish(records, newest);
    try {
      await withTimeout(publishing, this.settings.publishTimeoutMs, `publishing share '${unit.share}' on Kafka cluster '${cluster.id}'`);
    } catch (error) {
      // Timed out: the transaction is given up, never awaited again; it commits nothing from now on.
      cluster.dropPublisher(publisher, error instanceof TimeoutError ? publishing : undefined);
      throw error;
    }
    this.doneThrough.set(transactionalId, Math.max(newest, this.doneThrough.get(transactionalId) ?? 0));
    cluster.epochsPublished += due.length;
    return true;
  }

  /**
   * On the first use of an id in this run: the markers of every cluster that answers, so that a share published on
   * another cluster before a crash is not published again. A cluster that does not answer is left out (its copy, if
   * any, stays a cross-cluster duplicate, which the `weir-id` header identifies). A marker beyond the newest complete
   * checkpoint on any cluster means that another run got ahead (or this one restored an older checkpoint): skipping
   * this run's epochs of those numbers would lose them, so it fails as the publishing cluster's own marker does.
   */
  private async readMarkers(transactionalId: string, newestComplete: number): Promise<void> {
    if (this.doneThrough.has(transactionalId)) return;
    const markers = await Promise.all(
      this.clusters.all().map((cluster) =>
        cluster.usable
          ? cluster.adminCall((admin) => admin.committedOffsets(transactionalId, cluster.topic), 'reading an epoch marker').then(
              (offsets) => offsets.get(0) ?? 0,
              () => 0,
            )
          : 0,
      ),
    );
    const newest = Math.max(0, ...markers);
    if (newest > newestComplete) throw new MarkerAheadError(transactionalId, newest, this.restoredFrom, this.ctx.jobId);
    this.doneThrough.set(transactionalId, newest);
  }

  private publisherSettings(cluster: SinkCluster, owner: number, share: string) {
    const { transactionalIdPrefix, transactionTimeoutMs } = this.settings;
    return { transactionalId: `${transactionalIdPrefix}-${owner}@${share}`, transactionTimeoutMs, markerTopic: cluster.topic, jobId: this.ctx.jobId };
  }
}

import type { PollResult, ReaderOutput, SourceReader } from '../source.ts';
import type { RuntimeContext } from '../../core/runtime-context.ts';
import { createLogger } from '../../observe/logger.ts';
import { IDLE_POLL_MS } from '../kafka/source-reader.ts';
import { partitionKey, type KafkaRecordView } from '../kafka/client/index.ts';
import type { StartingOffsets } from '../kafka/source.ts';
import type { ClusterHealth } from './cluster-health.ts';
import type { ClusterMetadata } from './cluster-metadata.ts';
import { ClusterFeed, type FeedEvent, type FeedSettings } from './cluster-feed.ts';
import { EpochDedup } from './epoch-dedup.ts';
import { MetadataSubscription } from './metadata-subscription.ts';
import { placementsOf } from './metadata-validation.ts';
import { RECORD_ID_HEADER, decodeRecordId } from './record-id.ts';
import type { MultiClusterSourceOptions } from './multi-cluster-source.ts';
import type { MultiClusterSourceState, RestoredShare } from './source-state.ts';

const log = createLogger(undefined, { component: 'multi-cluster-source' });

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * One subtask of a MultiClusterKafkaSource: a ClusterFeed per cluster of its stream (each with its own client,
 * reconnecting on its own), polled round-robin, records filtered through the epoch dedup. Metadata changes apply at
 * checkpoint barriers, after the positions are taken: added clusters start (at their retained positions, else
 * `newClustersStartFrom`), removed ones stop and their positions are retained. An unreachable cluster's splits are
 * marked idle (or held) until it is back.
 */
export class MultiClusterSourceReader<T> implements SourceReader<T> {
  private readonly subscription: MetadataSubscription;
  private readonly feeds = new Map<string, ClusterFeed<T>>();
  private readonly active = new Map<string, Map<string, number>>();
  private readonly retained: RestoredShare['retained'];
  private readonly dedup: EpochDedup;
  /** Changes to the runtime's splits (idle marks, releases) made between polls, applied at the next poll. */
  private pendingSplitChanges: ((output: ReaderOutput<T>) => void)[] = [];
  private cursor = 0;
  private readonly settings: FeedSettings<T>;
  private lastDropReport = '';
  /** Feeds not yet opened, with when their cluster counts as unreachable if it has not answered by then. */
  private readonly opening = new Map<ClusterFeed<T>, number>();
  /**
   * Whether an unreachable cluster's splits keep holding the watermark: with `unreachable: 'hold'`, and always when
   * bounded (a bounded read waits for every cluster's end anyway, so idling would only turn the slow cluster's
   * records late, e.g. after a health check that timed out on a loaded machine).
   */
  private readonly holdsUnreachable: boolean;

  constructor(
    private readonly options: MultiClusterSourceOptions<T>,
    private readonly ctx: RuntimeContext,
    private readonly restored: RestoredShare | undefined,
  ) {
    // With the subtask's reportStatus: `weir migrate` sees which metadata each subtask has applied.
    this.subscription = new MetadataSubscription(
      options.metadata,
      { operator: ctx.operatorName, subtask: ctx.subtaskIndex },
      { stream: options.stream, role: 'source', report: ctx.reportStatus },
    );
    this.retained = new Map(restored?.retained);
    for (const [cluster, offsets] of restored?.clusters ?? []) this.active.set(cluster, offsets);
    this.dedup = new EpochDedup(restored?.dedup, options.dedupMaxIntervals);
    this.holdsUnreachable = options.unreachable === 'hold' || options.bounded === true;
    const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.settings = {
      groupId: options.groupId,
      deserializer: options.deserializer,
      ...(options.readUncommitted === undefined ? {} : { readUncommitted: options.readUncommitted }),
      ...(options.maxBufferedRecords === undefined ? {} : { maxBufferedRecords: options.maxBufferedRecords }),
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
      ...(options.bounded === undefined ? {} : { bounded: options.bounded }),
      requestTimeoutMs,
      healthCheckMs: options.healthCheckMs ?? Math.min(5_000, requestTimeoutMs),
      partitionDiscoveryMs: options.partitionDiscoveryMs ?? 60_000,
      ...(ctx.reportStatus === undefined ? {} : { reportStatus: ctx.reportStatus }),
      subtask: ctx.subtaskIndex,
      parallelism: ctx.parallelism,
      operator: ctx.operatorName,
    };
  }

  /** Loads the metadata and starts every cluster's feed; none is waited for (a down cluster must not hold the start). */
  async open(): Promise<void> {
    const metadata = await this.subscription.start();
    const firstStart = this.restored === undefined ? (this.options.startFrom ?? 'earliest') : this.newClustersStartFrom();
    this.applyMetadata(metadata, firstStart);
  }

  poll(output: ReaderOutput<T>, max: number): PollResult {
    if (this.opening.size > 0) this.giveUpWaitingForSlowOpens();
    if (this.pendingSplitChanges.length > 0) {
      const changes = this.pendingSplitChanges;
      this.pendingSplitChanges = [];
      for (const change of changes) change(output);
    }
    const feeds = [...this.feeds.values()];
    let taken = 0;
    for (let i = 0; i < feeds.length && taken < max; i++) {
      const feed = feeds[(this.cursor + i) % feeds.length]!;
      taken += feed.drain(output, max - taken, this.acceptFrom(feed.cluster));
    }
    this.cursor = feeds.length === 0 ? 0 : (this.cursor + 1) % feeds.length;
    if (this.options.bounded === true && feeds.length > 0 && feeds.every((feed) => feed.finishedBounded(output))) return 'end';
    return feeds.some((feed) => feed.buffered > 0) ? 'more' : { waitMs: IDLE_POLL_MS };
  }

  snapshotState(checkpointId: number): MultiClusterSourceState {
    for (const [cluster, feed] of this.feeds) this.active.set(cluster, feed.snapshot(checkpointId));
    const change = this.subscription.takeAtBarrier(checkpointId);
    if (change !== undefined) this.applyMetadata(change, this.newClustersStartFrom());
    this.dropExpiredRetained();
    this.logDrops(checkpointId);
    this.report();
    return {
      clusters: Object.fromEntries([...this.active].map(([cluster, offsets]) => [cluster, Object.fromEntries(offsets)])),
      retained: Object.fromEntries([...this.retained].map(([cluster, { removedAt, offsets }]) => [cluster, { removedAt, offsets: Object.fromEntries(offsets) }])),
      dedup: this.dedup.snapshot(),
    };
  }

  /** Commits and lag checks run in the background, each bounded by the request timeout: a down cluster holds nothing. */
  notifyCheckpointComplete(checkpointId: number): void {
    for (const feed of this.feeds.values()) void feed.complete(checkpointId);
  }

  async close(): Promise<void> {
    this.subscription.close();
    await Promise.all([...this.feeds.values()].map((feed) => feed.close()));
    this.feeds.clear();
  }

  private newClustersStartFrom(): StartingOffsets {
    return this.options.newClustersStartFrom ?? 'earliest';
  }

  /**
   * Makes the feeds match the stream's placements: a new cluster starts at its positions (checkpointed, or retained
   * from its removal) or at `startFrom`; a removed one stops and its positions are retained; a cluster whose
   * connection or topics changed is reopened at its positions.
   */
  private applyMetadata(metadata: ClusterMetadata, startFrom: StartingOffsets): void {
    const placements = placementsOf(metadata, this.options.stream, this.options.metadata.description);
    const wanted = new Map(placements.map((placement) => [placement.cluster, placement.topics]));
    for (const [cluster, feed] of [...this.feeds]) {
      const topics = wanted.get(cluster);
      const spec = metadata.clusters[cluster];
      if (topics !== undefined && spec !== undefined && feed.shape === JSON.stringify({ spec, topics })) continue;
      this.stopFeed(feed, topics === undefined);
    }
    // Restored clusters that the metadata no longer names are retained as if removed now.
    for (const [cluster, offsets] of [...this.active]) {
      if (wanted.has(cluster) || this.feeds.has(cluster)) continue;
      this.retain(cluster, offsets);
      this.active.delete(cluster);
    }
    for (const { cluster, topics } of placements) {
      if (this.feeds.has(cluster)) continue;
      const kept = this.retained.get(cluster);
      this.retained.delete(cluster);
      const known = this.active.get(cluster);
      const positions = kept === undefined && known === undefined ? undefined : new Map([...(kept?.offsets ?? []), ...(known ?? [])]);
      if (kept !== undefined) log.info({ cluster, subtask: this.ctx.subtaskIndex, partitions: kept.offsets.size }, 'cluster added again: resuming at its retained positions');
      const feed = new ClusterFeed<T>(cluster, metadata.clusters[cluster]!, topics, this.settings, positions, startFrom, (changed, event) => this.onFeedEvent(changed, event));
      this.feeds.set(cluster, feed);
      this.active.set(cluster, positions ?? new Map());
      this.holdUntilOpened(feed);
      feed.start();
    }
  }

  /** Stops a feed (closing in the background); its positions are retained when the cluster left the stream. */
  private stopFeed(feed: ClusterFeed<T>, removed: boolean): void {
    const positions = feed.positions();
    this.feeds.delete(feed.cluster);
    const splits = [...feed.splitIds(), openingSplitOf(feed.cluster)];
    this.opening.delete(feed);
    this.pendingSplitChanges.push((output) => {
      for (const split of splits) output.releaseSplit(split);
    });
    void feed.close();
    if (removed) {
      this.retain(feed.cluster, positions);
      this.active.delete(feed.cluster);
    } else {
      this.active.set(feed.cluster, positions);
    }
  }

  private retain(cluster: string, offsets: Map<string, number>): void {
    const earlier = this.retained.get(cluster);
    this.retained.set(cluster, { removedAt: Date.now(), offsets: new Map([...(earlier?.offsets ?? []), ...offsets]) });
    log.info({ cluster, subtask: this.ctx.subtaskIndex, partitions: offsets.size }, 'cluster removed from the stream: its positions are retained');
  }

  private dropExpiredRetained(): void {
    const retentionMs = this.options.offsetRetentionMs ?? 7 * DAY_MS;
    const now = Date.now();
    for (const [cluster, { removedAt }] of [...this.retained]) {
      if (now - removedAt < retentionMs) continue;
      this.retained.delete(cluster);
      log.info({ cluster, subtask: this.ctx.subtaskIndex, removedAt: new Date(removedAt).toISOString(), retentionMs }, 'retained positions of a removed cluster dropped (past offsetRetentionMs)');
    }
  }

  /** The dedup filter for one cluster's records: records without a weir id pass untouched. */
  private acceptFrom(cluster: string): ((record: KafkaRecordView) => boolean) | undefined {
    if (this.options.dedup === false) return undefined;
    return (record) => {
      const header = record.headers[RECORD_ID_HEADER];
      if (header === undefined) return true;
      const id = decodeRecordId(header);
      return id === undefined || this.dedup.accept(id, partitionKey(record), cluster);
    };
  }

  /**
   * A feed's partitions are known only once it has opened, and they hold the watermark only from then: without a
   * stand-in split, the clusters that open first would carry the watermark past what the others have not delivered
   * yet, and those records would arrive late. The stand-in holds the watermark from the start until the feed has
   * opened (its partitions take over in the same poll) or its cluster counts as unreachable (`unreachable: 'idle'`:
   * after a failed first open or `requestTimeoutMs` without an answer; `'hold'`: never).
   */
  private holdUntilOpened(feed: ClusterFeed<T>): void {
    this.opening.set(feed, Date.now() + this.settings.requestTimeoutMs);
    this.pendingSplitChanges.push((output) => void output.forSplit(openingSplitOf(feed.cluster)));
  }

  private giveUpWaitingForSlowOpens(): void {
    if (this.holdsUnreachable) return;
    const now = Date.now();
    for (const [feed, deadline] of this.opening) {
      if (now < deadline) continue;
      this.opening.delete(feed);
      log.warn({ cluster: feed.cluster, subtask: this.ctx.subtaskIndex, waitedMs: this.settings.requestTimeoutMs }, 'cluster has not answered since the start: the watermark goes on without it (unreachable: idle)');
      this.pendingSplitChanges.push((output) => output.markSplitIdle?.(openingSplitOf(feed.cluster), true));
    }
  }

  private onFeedEvent(feed: ClusterFeed<T>, event: FeedEvent): void {
    if (this.feeds.get(feed.cluster) !== feed) return;
    if (event === 'up') {
      this.opening.delete(feed);
      // The partitions take over the stand-in's hold before any watermark can pass between the two.
      this.pendingSplitChanges.push((output) => {
        feed.bindOutputs(output);
        output.releaseSplit(openingSplitOf(feed.cluster));
      });
    }
    if (event !== 'lag') {
      const splits = event === 'down' && this.opening.has(feed) ? [...feed.splitIds(), openingSplitOf(feed.cluster)] : feed.splitIds();
      if (event === 'down') this.opening.delete(feed);
      const idle = event === 'down';
      const hold = this.holdsUnreachable;
      this.pendingSplitChanges.push((output) => {
        for (const split of splits) {
          // Held: the split is registered (so it holds the watermark even if it never delivered); idle: marked so.
          if (hold) output.forSplit(split);
          else output.markSplitIdle?.(split, idle);
        }
      });
    }
    this.report();
  }

  /** Duplicates dropped since start, per cluster: logged at a checkpoint when they changed (never a silent drop). */
  private logDrops(checkpointId: number): void {
    if (this.dedup.dropped.size === 0) return;
    const counts = Object.fromEntries(this.dedup.dropped);
    const report = JSON.stringify(counts);
    if (report === this.lastDropReport) return;
    this.lastDropReport = report;
    log.info({ subtask: this.ctx.subtaskIndex, checkpointId, droppedByCluster: counts }, 'dropped records of epochs that another cluster delivered first (weir-id dedup)');
  }

  private report(): void {
    const report = this.ctx.reportStatus;
    if (report === undefined) return;
    const health: ClusterHealth[] = [...this.feeds.values()].map((feed) => ({
      cluster: feed.cluster,
      role: 'source',
      reachable: feed.reachable,
      since: feed.since,
      ...(feed.lastError === undefined ? {} : { lastError: feed.lastError }),
      ...(feed.lagRecords === undefined ? {} : { lagRecords: feed.lagRecords }),
      ...(feed.lagAtCheckpoint === undefined ? {} : { lagAtCheckpoint: feed.lagAtCheckpoint }),
    }));
    report('clusters', health);
  }
}

/** The stand-in split that holds a cluster's place in the watermark until its partitions are known. */
function openingSplitOf(cluster: string): string {
  return `${cluster}/(opening)`;
}

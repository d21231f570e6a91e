import type { SinkContext } from '../sink.ts';
import { describeError, WeirError } from '../../core/errors.ts';
import { createLogger } from '../../observe/logger.ts';
import type { ClusterHealth } from './cluster-health.ts';
import type { ClusterMetadata, ClusterMetadataProvider, ClusterSpec } from './cluster-metadata.ts';
import { MetadataSubscription } from './metadata-subscription.ts';
import { placementsOf } from './metadata-validation.ts';
import { SinkCluster } from './sink-cluster.ts';

const log = createLogger(undefined, { component: 'multi-cluster-sink' });

export interface SinkClustersSettings {
  readonly stream: string;
  readonly metadata: ClusterMetadataProvider;
  readonly mode: 'failover' | 'multiplex';
  readonly failback: boolean;
  readonly failbackAfterMs: number;
  readonly healthCheckIntervalMs: number;
  /** The time limit of each check and admin call. */
  readonly callTimeoutMs: number;
}

/** A sink stream's placement: exactly one topic per cluster. */
interface SinkPlacement {
  readonly cluster: string;
  readonly topic: string;
}

/**
 * The clusters of one multi-cluster sink subtask's stream, in preference order: their health (a periodic check per
 * cluster, and what publishes find), the partition count they share, and the decision at each barrier of where the
 * epoch goes. Metadata changes apply at barriers. Shared by the subtask's writer and committer, closed by the last.
 */
export class SinkClusters {
  private subscription: MetadataSubscription;
  private clusters = new Map<string, SinkCluster>();
  private order: string[] = [];
  private partitionCount: number | undefined;
  private receiving = new Set<string>();
  private starting: Promise<void> | undefined;
  private users = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastReport = '';
  private readonly mismatchLogged = new Set<SinkCluster>();

  constructor(
    private readonly settings: SinkClustersSettings,
    private readonly ctx: SinkContext,
  ) {
    // With the subtask's reportStatus: `weir migrate` sees which metadata each subtask has applied.
    this.subscription = new MetadataSubscription(
      settings.metadata,
      { operator: ctx.operatorName, subtask: ctx.subtaskIndex, stream: settings.stream },
      { stream: settings.stream, role: 'sink', report: ctx.reportStatus },
    );
  }

  /** Loads the metadata and checks every cluster once (the first caller; later callers wait for the same start). */
  start(): Promise<void> {
    this.users++;
    this.starting ??= this.load();
    return this.starting;
  }

  /** The topic's partition count on every cluster of the stream. */
  get partitions(): number {
    if (this.partitionCount === undefined) throw new WeirError(`the clusters of stream '${this.settings.stream}' were used before start()`);
    return this.partitionCount;
  }

  get(id: string): SinkCluster | undefined {
    return this.clusters.get(id);
  }

  /**
   * At a barrier: applies a metadata change that came since the last one, then decides where the epoch goes: the
   * clusters its records are shared out to (failover: one; multiplex: every cluster ready to receive).
   */
  decide(checkpointId: number): string[] {
    const change = this.subscription.takeAtBarrier(checkpointId);
    if (change !== undefined) this.apply(change);
    const now = Date.now();
    const ready = this.inOrder().filter((cluster) => this.ready(cluster));
    // A cluster that failed in this run receives again only after it has been healthy for failbackAfterMs.
    const eligible = ready.filter(
      (cluster) => !cluster.hasFailed || (this.settings.failback && now - (cluster.healthySince ?? now) >= this.settings.failbackAfterMs),
    );
    let shares: string[];
    if (this.settings.mode === 'multiplex' && eligible.length > 0) shares = eligible.map((cluster) => cluster.id);
    else {
      const current = [...this.receiving].map((id) => this.clusters.get(id)).find((cluster) => cluster !== undefined && this.ready(cluster));
      // None eligible: stay where the epochs go if it still answers, else any that answers, else the first (its publish fails over).
      shares = [(eligible[0] ?? current ?? ready[0])?.id ?? this.order[0]!];
    }
    for (const id of this.receiving) {
      const cluster = this.clusters.get(id);
      if (cluster !== undefined && !shares.includes(id) && !this.ready(cluster)) cluster.failovers++;
    }
    if (!sameSet(this.receiving, shares)) log.info({ subtask: this.ctx.subtaskIndex, stream: this.settings.stream, checkpointId, from: [...this.receiving], to: shares }, 'the sink\'s epochs go to other clusters from this checkpoint on');
    this.receiving = new Set(shares);
    this.report(true);
    return shares;
  }

  /**
   * The clusters to publish a share on, in turn: the share's own cluster, then the others in preference order; those
   * ready, or when none is, every one whose health may be stale (no given-up call pending, the stream's partition count).
   */
  candidates(share: string): SinkCluster[] {
    const home = this.clusters.get(share);
    const others = this.inOrder().filter((cluster) => cluster.id !== share);
    const inTurn = home === undefined ? others : [home, ...others];
    const ready = inTurn.filter((cluster) => this.ready(cluster));
    return ready.length > 0 ? ready : inTurn.filter((cluster) => cluster.settled && cluster.partitions === this.partitionCount);
  }

  /** Every cluster whose marker may say that a share was published: those in the metadata in force. */
  all(): SinkCluster[] {
    return this.inOrder();
  }

  /** Hands the job's process each cluster's health when it changed (`force`: at barriers, whether or not). */
  report(force = false): void {
    const health: ClusterHealth[] = this.inOrder().map((cluster) => ({
      cluster: cluster.id,
      role: 'sink',
      reachable: cluster.reachable,
      ...(cluster.lastError === undefined ? {} : { lastError: cluster.lastError }),
      since: cluster.since,
      epochsPublished: cluster.epochsPublished,
      failovers: cluster.failovers,
      receiving: this.receiving.has(cluster.id),
    }));
    const text = JSON.stringify(health);
    if (!force && text === this.lastReport) return;
    this.lastReport = text;
    this.ctx.reportStatus?.('clusters', health);
  }

  /** One user less; the last closes every cluster (without waiting for one that does not answer). */
  async release(): Promise<void> {
    if (--this.users > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.subscription.close();
    const clusters = [...this.clusters.values()];
    this.clusters.clear();
    await Promise.all(clusters.map((cluster) => cluster.close()));
  }

  /** Answers, has no given-up call pending, and its topic has the stream's partition count. */
  private ready(cluster: SinkCluster): boolean {
    return cluster.usable && cluster.partitions === this.partitionCount;
  }

  private inOrder(): SinkCluster[] {
    return this.order.map((id) => this.clusters.get(id)).filter((cluster) => cluster !== undefined);
  }

  private async load(): Promise<void> {
    const metadata = await this.subscription.start();
    const placements = sinkPlacements(metadata, this.settings.stream, this.settings.metadata.description);
    this.install(metadata, placements);
    const clusters = this.inOrder();
    await Promise.all(clusters.map((cluster) => cluster.check()));
    const answered = clusters.filter((cluster) => cluster.reachable);
    if (answered.length === 0) {
      const problems = clusters.map((cluster) => `${cluster.id}: ${cluster.lastError ?? 'no answer'}`).join('; ');
      throw new WeirError(`no Kafka cluster of stream '${this.settings.stream}' answered (${problems})`, { retriable: true });
    }
    const counts = new Set(answered.map((cluster) => cluster.partitions));
    if (counts.size > 1) {
      const found = answered.map((cluster) => `${cluster.id}: topic '${cluster.topic}' has ${cluster.partitions}`).join(', ');
      throw new WeirError(
        `a multi-cluster sink needs its topic to have the same partition count on every cluster of stream '${this.settings.stream}' ` +
          `(a share must land in the same partitions wherever it is published), but ${found}`,
        { fatal: true },
      );
    }
    this.partitionCount = answered[0]!.partitions;
    for (const cluster of clusters) if (!cluster.reachable) log.warn({ cluster: cluster.id, err: cluster.lastError }, 'a cluster of the sink\'s stream does not answer at start; it receives once it does');
    this.receiving = new Set([(clusters.find((cluster) => this.ready(cluster)) ?? clusters[0]!).id]);
    this.timer = setInterval(() => void this.checkAll(), this.settings.healthCheckIntervalMs);
    this.timer.unref();
    this.report(true);
  }

  private async checkAll(): Promise<void> {
    await Promise.all(
      this.inOrder().map(async (cluster) => {
        const was = cluster.reachable;
        await cluster.check();
        if (was && !cluster.reachable) log.warn({ cluster: cluster.id, err: cluster.lastError }, 'a sink cluster stopped answering its health check');
        if (!was && cluster.reachable) log.info({ cluster: cluster.id }, 'a sink cluster answers its health check again');
        this.checkPartitions(cluster);
      }),
    );
    this.report();
  }

  /** A cluster whose topic has another partition count never receives (logged once; it may be fixed while the job runs). */
  private checkPartitions(cluster: SinkCluster): void {
    if (!cluster.reachable || cluster.partitions === this.partitionCount) {
      this.mismatchLogged.delete(cluster);
      return;
    }
    cluster.lastError = `topic '${cluster.topic}' has ${cluster.partitions} partitions, the stream's other clusters ${this.partitionCount}: it receives nothing until they are equal`;
    if (this.mismatchLogged.has(cluster)) return;
    this.mismatchLogged.add(cluster);
    log.error({ cluster: cluster.id, stream: this.settings.stream }, cluster.lastError);
  }

  /** A metadata change at a barrier: clusters kept as they are, new ones checked before they receive, removed ones closed. */
  private apply(metadata: ClusterMetadata): void {
    let placements: SinkPlacement[];
    try {
      placements = sinkPlacements(metadata, this.settings.stream, this.settings.metadata.description);
    } catch (error) {
      log.error({ stream: this.settings.stream, err: describeError(error) }, 'cluster metadata change not applied by the sink: the clusters in force stay');
      return;
    }
    const before = this.clusters;
    this.install(metadata, placements);
    for (const [id, cluster] of before) if (this.clusters.get(id) !== cluster) void cluster.close();
    for (const cluster of this.inOrder()) if (before.get(cluster.id) !== cluster) void cluster.check().then(() => this.checkPartitions(cluster));
  }

  private install(metadata: ClusterMetadata, placements: readonly SinkPlacement[]): void {
    const next = new Map<string, SinkCluster>();
    for (const { cluster: id, topic } of placements) {
      const spec = metadata.clusters[id]!;
      const known = this.clusters.get(id);
      next.set(id, known !== undefined && known.topic === topic && sameSpec(known.spec, spec) ? known : new SinkCluster(id, spec, topic, this.ctx.subtaskIndex, this.settings.callTimeoutMs));
    }
    this.clusters = next;
    this.order = placements.map((placement) => placement.cluster);
  }
}

/** The stream's placements, each with its one topic: a sink writes one topic per cluster. */
function sinkPlacements(metadata: ClusterMetadata, stream: string, from: string): SinkPlacement[] {
  const placements = placementsOf(metadata, stream, from);
  if (placements.length === 0) throw new WeirError(`cluster metadata from ${from}: stream '${stream}' has no cluster to write to`);
  return placements.map(({ cluster, topics }) => {
    if (topics.length !== 1) {
      throw new WeirError(`cluster metadata from ${from}: a sink writes one topic per cluster, but stream '${stream}' names ${topics.length} on cluster ${cluster} (${topics.join(', ')})`);
    }
    return { cluster, topic: topics[0]! };
  });
}

function sameSpec(a: ClusterSpec, b: ClusterSpec): boolean {
  return JSON.stringify([a.brokers, a.clientId]) === JSON.stringify([b.brokers, b.clientId]);
}

function sameSet(set: ReadonlySet<string>, list: readonly string[]): boolean {
  return set.size === list.length && list.every((id) => set.has(id));
}

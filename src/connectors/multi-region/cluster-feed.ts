import type { ReaderOutput } from '../source.ts';
import { describeError } from '../../core/errors.ts';
import { sleep, withTimeout } from '../../core/signal.ts';
import { createLogger } from '../../observe/logger.ts';
import { KafkaPartitionReader } from '../kafka/partition-reader.ts';
import { partitionKey, type KafkaRecordView } from '../kafka/client/index.ts';
import type { KafkaSourceOptions, StartingOffsets } from '../kafka/source.ts';
import type { LagAtCheckpoint } from './cluster-health.ts';
import type { ClusterSpec } from './cluster-metadata.ts';
import { EndOffsetsWatch } from './end-offsets-watch.ts';

const log = createLogger(undefined, { component: 'multi-cluster-source' });

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/** What every cluster's feed of one source subtask shares. */
export interface FeedSettings<T> extends Pick<KafkaSourceOptions<T>, 'groupId' | 'deserializer' | 'readUncommitted' | 'maxBufferedRecords' | 'sessionTimeoutMs' | 'bounded'> {
  /** How long one call to the cluster (opening, an admin query, a commit) may take before the cluster counts as down. */
  readonly requestTimeoutMs: number;
  /** How often the cluster's end offsets are asked for (lag, and whether it still answers). */
  readonly healthCheckMs: number;
  /** How often its partitions are looked for again; 0 never. */
  readonly partitionDiscoveryMs: number;
  readonly subtask: number;
  readonly parallelism: number;
  readonly operator: string;
  /** The subtask's RuntimeContext.reportStatus: each cluster's partitions' lag after each offset commit. */
  readonly reportStatus?: (kind: string, status: unknown) => void;
}

export type FeedEvent = 'up' | 'down' | 'lag';

/**
 * One cluster's part of a multi-cluster source subtask: a KafkaPartitionReader of its own (its own client), opened
 * and reopened in the background so that poll never waits for it. A call that fails or outlasts `requestTimeoutMs`
 * (a health check, opening, a discovery) or a fetch the client gives up on marks the cluster down: its reader is
 * dropped (closed in the background: a stopped broker may never answer its close), and a new one opens after a
 * backoff at the positions the old one reached. Positions survive every reconnect here, so the checkpoint always
 * has them.
 */
export class ClusterFeed<T> {
  private reader: KafkaPartitionReader<T> | undefined;
  /** Next offset per owned partition (`topic:partition`), as of the last reader's end or the restore. */
  private lastPositions: Map<string, number>;
  private startFrom: StartingOffsets;
  private closed = false;
  private readonly closing: Promise<void>;
  private endClosing: () => void = () => {};
  private readonly checkpointPositions = new Map<number, Map<string, number>>();
  private nextDiscoveryAt = 0;

  /** Connecting for the first time, reading, or down (reconnecting). */
  private state: 'connecting' | 'up' | 'down' = 'connecting';
  lastError: string | undefined;
  since = Date.now();
  lagRecords: number | undefined;
  lagAtCheckpoint: LagAtCheckpoint | undefined;
  private readonly endsWatch = new EndOffsetsWatch();

  constructor(
    readonly cluster: string,
    private readonly spec: ClusterSpec,
    readonly topics: readonly string[],
    private readonly settings: FeedSettings<T>,
    /** Positions of this subtask's partitions on the cluster (restored or retained); undefined: none yet. */
    positions: ReadonlyMap<string, number> | undefined,
    /** Where partitions without a position start. */
    startFrom: StartingOffsets,
    private readonly onEvent: (feed: ClusterFeed<T>, event: FeedEvent) => void,
  ) {
    this.lastPositions = new Map(positions);
    this.startFrom = startFrom;
    this.closing = new Promise((resolve) => (this.endClosing = resolve));
  }

  /** The connection spec and topics it was made for (a change of either makes a new feed). */
  get shape(): string {
    return JSON.stringify({ spec: this.spec, topics: this.topics });
  }

  /** Begins connecting (in the background) and keeps the cluster connected until close. */
  start(): void {
    void this.run();
  }

  get buffered(): number {
    return this.reader?.buffered ?? 0;
  }

  get up(): boolean {
    return this.reader !== undefined;
  }

  drain(output: ReaderOutput<T>, max: number, accept: ((record: KafkaRecordView) => boolean) | undefined): number {
    return this.reader?.drain(output, max, accept) ?? 0;
  }

  /** Registers every owned partition's split with the output, so each holds the watermark before its first record. */
  bindOutputs(output: ReaderOutput<T>): void {
    this.reader?.assignment.bindOutputs(output);
  }

  /** Every owned partition reached the end found at start (bounded sources). */
  finishedBounded(output: ReaderOutput<T>): boolean {
    return this.reader !== undefined && this.reader.assignment.finishedBounded(output);
  }

  /** The split ids of this cluster's partitions that this subtask reads (`cluster/topic:partition`). */
  splitIds(): string[] {
    return [...this.positions().keys()].map((key) => `${this.cluster}/${key}`);
  }

  /** The next offset of each owned partition: the live reader's, or where the last one stopped. */
  positions(): Map<string, number> {
    if (this.reader === undefined) return new Map(this.lastPositions);
    return new Map(this.reader.positions().map((position) => [partitionKey(position), position.offset]));
  }

  /** Positions for checkpoint `checkpointId` (committed to the cluster's group and measured for lag when it completes). */
  snapshot(checkpointId: number): Map<string, number> {
    const positions = this.reader === undefined ? new Map(this.lastPositions) : new Map(this.reader.snapshot(checkpointId).map((p) => [partitionKey(p), p.offset]));
    this.checkpointPositions.set(checkpointId, positions);
    return positions;
  }

  /**
   * Checkpoint `checkpointId` completed: commit its positions to the cluster's group and measure its lag and whether
   * the cluster's end offsets moved since the checkpoint before, both bounded by the timeout.
   */
  async complete(checkpointId: number): Promise<void> {
    const positions = this.checkpointPositions.get(checkpointId);
    for (const id of this.checkpointPositions.keys()) if (id <= checkpointId) this.checkpointPositions.delete(id);
    const reader = this.reader;
    if (reader === undefined || positions === undefined) return;
    try {
      await withTimeout(reader.complete(checkpointId), this.settings.requestTimeoutMs, `cluster ${this.cluster}'s offset commit`);
      const ends = await withTimeout(reader.endOffsets(), this.settings.requestTimeoutMs, `cluster ${this.cluster}'s end offsets`);
      // The drain proof's ends are the logs' own: a producer writing inside a transaction it has not committed yet
      // moves them but not the read_committed ends, and the cluster must not count as drained (its records would be
      // committed after the source left it).
      const logEnds = await withTimeout(reader.logEndOffsets(), this.settings.requestTimeoutMs, `cluster ${this.cluster}'s log end offsets`);
      this.lagAtCheckpoint = this.endsWatch.measure(checkpointId, positions, logEnds, Date.now()) ?? this.lagAtCheckpoint;
      this.lagRecords = lagOf(this.positions(), ends);
      this.onEvent(this, 'lag');
    } catch (error) {
      this.markDown(reader, error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.endClosing();
    const reader = this.reader;
    if (reader !== undefined) this.lastPositions = this.positions();
    this.reader = undefined;
    // Bounded: a cluster that stopped answering must not hold the job's close.
    if (reader !== undefined) await withTimeout(reader.close(), this.settings.requestTimeoutMs, `closing cluster ${this.cluster}'s reader`).catch(() => {});
  }

  /** Connect, check health until the cluster fails, back off, again; until close. */
  private async run(): Promise<void> {
    let retryMs = FIRST_RETRY_MS;
    while (!this.closed) {
      const reader = this.newReader();
      try {
        await withTimeout(reader.open(this.startFrom), openTimeoutMs(this.settings), `opening cluster ${this.cluster}`);
      } catch (error) {
        void reader.close().catch(() => {});
        this.setReachable(false, error);
        await this.pause(retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
        continue;
      }
      if (this.closed) {
        void reader.close().catch(() => {});
        return;
      }
      this.reader = reader;
      // Partitions found later (discovery, or a reconnect after the first) start at the earliest offset, as in Flink.
      this.startFrom = 'earliest';
      this.nextDiscoveryAt = Date.now() + this.settings.partitionDiscoveryMs;
      this.setReachable(true);
      retryMs = FIRST_RETRY_MS;
      while (this.reader === reader && !this.closed) {
        await this.pause(this.settings.healthCheckMs);
        if (this.reader === reader && !this.closed) await this.check(reader);
      }
      if (!this.closed) await this.pause(retryMs);
    }
  }

  private newReader(): KafkaPartitionReader<T> {
    const { settings } = this;
    const made: { reader?: KafkaPartitionReader<T> } = {};
    made.reader = new KafkaPartitionReader<T>(
      {
        ...this.spec,
        clientId: `${this.spec.clientId ?? 'weir-source'}-${settings.subtask}@${this.cluster}`,
        topics: this.topics,
        groupId: settings.groupId,
        deserializer: settings.deserializer,
        ...(settings.readUncommitted === undefined ? {} : { readUncommitted: settings.readUncommitted }),
        ...(settings.maxBufferedRecords === undefined ? {} : { maxBufferedRecords: settings.maxBufferedRecords }),
        ...(settings.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: settings.sessionTimeoutMs }),
        ...(settings.bounded === undefined ? {} : { bounded: settings.bounded }),
        splitPrefix: `${this.cluster}/`,
        cluster: this.cluster,
        ...(settings.reportStatus === undefined ? {} : { reportStatus: settings.reportStatus }),
        // The client gave up fetching: for this source, the cluster is down, not the job.
        onFailure: (error) => this.markDown(made.reader, error),
      },
      settings,
      this.lastPositions,
    );
    return made.reader;
  }

  /** One health check: end offsets (the lag) within the timeout, and a partition discovery when it is due. */
  private async check(reader: KafkaPartitionReader<T>): Promise<void> {
    try {
      const ends = await withTimeout(reader.endOffsets(), this.settings.requestTimeoutMs, `cluster ${this.cluster}'s end offsets`);
      if (this.reader !== reader) return;
      this.lagRecords = lagOf(this.positions(), ends);
      if (this.settings.partitionDiscoveryMs > 0 && this.settings.bounded !== true && Date.now() >= this.nextDiscoveryAt) {
        this.nextDiscoveryAt = Date.now() + this.settings.partitionDiscoveryMs;
        await withTimeout(reader.rediscover(), openTimeoutMs(this.settings), `discovering cluster ${this.cluster}'s partitions`);
      }
    } catch (error) {
      this.markDown(reader, error);
    }
  }

  /** The cluster failed under `reader`: keep its positions, drop it (closing in the background), and reconnect later. */
  private markDown(reader: KafkaPartitionReader<T> | undefined, error: unknown): void {
    if (reader === undefined || this.reader !== reader || this.closed) return;
    this.lastPositions = this.positions();
    this.reader = undefined;
    void reader.close().catch((closeError: unknown) => log.debug({ cluster: this.cluster, err: closeError }, 'closing a failed cluster reader failed'));
    this.setReachable(false, error);
  }

  get reachable(): boolean {
    return this.state === 'up';
  }

  private setReachable(reachable: boolean, error?: unknown): void {
    if (error !== undefined) this.lastError = describeError(error);
    const state = reachable ? 'up' : 'down';
    if (state === this.state) return;
    this.state = state;
    this.since = Date.now();
    if (reachable) log.info({ cluster: this.cluster, subtask: this.settings.subtask }, 'cluster reachable: reading it');
    else log.warn({ cluster: this.cluster, subtask: this.settings.subtask, err: this.lastError }, 'cluster unreachable: its splits wait, the other clusters go on; reconnecting with backoff');
    this.onEvent(this, reachable ? 'up' : 'down');
  }

  /** Waits `ms`, or less when the feed closes. */
  private pause(ms: number): Promise<void> {
    return Promise.race([sleep(ms), this.closing]);
  }
}

/**
 * Opening takes several calls (partitions, offsets, the fetcher's group); it runs in the background, so a long bound
 * costs only a later reconnect, while a short one could keep a slow but healthy cluster from ever opening.
 */
function openTimeoutMs<T>(settings: FeedSettings<T>): number {
  return Math.max(30_000, settings.requestTimeoutMs * 3);
}

/** Records between each position and its partition's end. */
function lagOf(positions: ReadonlyMap<string, number>, ends: ReadonlyMap<string, number>): number {
  let lag = 0;
  for (const [key, position] of positions) lag += Math.max(0, (ends.get(key) ?? position) - position);
  return lag;
}

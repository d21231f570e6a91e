import { describeError, WeirError } from '../../core/errors.ts';
import { TimeoutError, withTimeout } from '../../core/signal.ts';
import { createKafkaClient, type KafkaAdmin, type KafkaClient } from '../kafka/client/index.ts';
import { TransactionalPublisher, type PublisherSettings } from '../kafka/transactional-publisher.ts';
import type { ClusterSpec } from './cluster-metadata.ts';

/** How long closing a cluster's clients may take before it is left to finish in the background. */
const CLOSE_WAIT_MS = 2_000;

/**
 * One cluster as a multi-cluster sink subtask uses it: its client and admin, its health as the periodic check and the
 * publishes found it, and the transactional ids held on it. Every call to it has a time limit; a call that misses it
 * is given up (never awaited again) and the cluster counts as unhealthy until the call has settled, so a late answer
 * of an abandoned call (a takeover that fences a newer producer of the same id) cannot meet a new use.
 */
export class SinkCluster {
  readonly client: KafkaClient;
  /** The last call answered in time. */
  reachable = false;
  lastError: string | undefined;
  /** When `reachable` last changed. */
  since = Date.now();
  /** Since when the checks have answered without a break; undefined while unreachable. */
  healthySince: number | undefined;
  /** A publish or check failed on this cluster in this run: it receives again only after `failbackAfterMs` healthy. */
  hasFailed = false;
  /** The topic's partition count as the last check found it. */
  partitions: number | undefined;
  epochsPublished = 0;
  failovers = 0;
  private admin: Promise<KafkaAdmin> | undefined;
  private checkRunning = false;
  private readonly abandoned = new Set<Promise<unknown>>();
  private readonly publishers = new Map<string, TransactionalPublisher>();
  /** Takeovers under way, one per transactional id: a second one would fence the first's producer. */
  private readonly takeovers = new Map<string, Promise<TransactionalPublisher>>();
  private closed = false;

  constructor(
    readonly id: string,
    readonly spec: ClusterSpec,
    /** The stream's one topic on this cluster. */
    readonly topic: string,
    subtask: number,
    private readonly callTimeoutMs: number,
  ) {
    this.client = createKafkaClient({ brokers: spec.brokers, clientId: spec.clientId ?? `weir-sink-${subtask}` });
  }

  /** Reachable, and no given-up call still pending. */
  get usable(): boolean {
    return this.reachable && this.settled;
  }

  /** No given-up takeover or publish is still pending here (its late answer could meet a new use). */
  get settled(): boolean {
    return this.abandoned.size === 0;
  }

  /**
   * The cheap periodic check: the topic's partitions, within the call timeout. While an earlier check has not
   * answered, none is added (the cluster counts as unreachable since that one's timeout).
   */
  async check(): Promise<void> {
    if (this.checkRunning) return;
    this.checkRunning = true;
    const running = this.adminOf().then((admin) => admin.partitionsOf([this.topic]));
    void running.then(
      () => (this.checkRunning = false),
      () => (this.checkRunning = false),
    );
    try {
      const partitions = await withTimeout(running, this.callTimeoutMs, `a health check of Kafka cluster '${this.id}'`);
      this.partitions = partitions.length;
      this.markReachable();
    } catch (error) {
      this.markUnreachable(error);
    }
  }

  /** An admin call (a marker read, a broker setting) within the call timeout. */
  adminCall<R>(call: (admin: KafkaAdmin) => Promise<R>, what: string): Promise<R> {
    return withTimeout(this.adminOf().then(call), this.callTimeoutMs, `${what} on Kafka cluster '${this.id}'`);
  }

  /** The admin, connecting on first use, and again after a failed connect. */
  private adminOf(): Promise<KafkaAdmin> {
    const admin = (this.admin ??= this.client.admin());
    admin.catch(() => {
      if (this.admin === admin) this.admin = undefined;
    });
    return admin;
  }

  /**
   * The publisher of a transactional id on this cluster. Its first use takes the id over, once: a takeover is slow at
   * times (the first on a fresh broker creates the transaction log; a loaded machine), so a caller that waits `waitMs`
   * in vain gets a TakeoverPendingError, which is no failure of the cluster, and the same takeover is used once it
   * answers. Only a takeover still unanswered `takeoverTimeoutMs` after it began is given up (a TimeoutError): its late
   * answer is closed, and the cluster is not usable until it has settled.
   */
  async publisher(settings: PublisherSettings, waitMs: number, takeoverTimeoutMs: number): Promise<TransactionalPublisher> {
    const id = settings.transactionalId;
    const known = this.publishers.get(id);
    if (known !== undefined) return known;
    let pending = this.takeovers.get(id);
    if (pending === undefined) pending = this.takeOver(settings, takeoverTimeoutMs);
    try {
      return await withTimeout(pending, waitMs, `taking over '${id}' on Kafka cluster '${this.id}'`);
    } catch (error) {
      // The takeover's own settlement runs first: still listed means only this wait ran out.
      if (error instanceof TimeoutError && this.takeovers.get(id) === pending) throw new TakeoverPendingError(id, this.id, waitMs);
      throw error;
    }
  }

  /** Starts the one takeover of an id here; its publisher is kept once it answers, whoever waits for it then. */
  private takeOver(settings: PublisherSettings, takeoverTimeoutMs: number): Promise<TransactionalPublisher> {
    const id = settings.transactionalId;
    const takeover = this.adminOf().then((connected) => TransactionalPublisher.takeOver(this.client, connected, settings));
    const pending = withTimeout(takeover, takeoverTimeoutMs, `taking over '${id}' on Kafka cluster '${this.id}'`);
    this.takeovers.set(id, pending);
    pending.then(
      (publisher) => {
        if (this.takeovers.get(id) === pending) this.takeovers.delete(id);
        if (this.closed) void publisher.close().catch(() => {});
        else this.publishers.set(id, publisher);
      },
      (error: unknown) => {
        if (this.takeovers.get(id) === pending) this.takeovers.delete(id);
        if (error instanceof TimeoutError) this.giveUp(takeover.then((late) => late.abandon()));
      },
    );
    return pending;
  }

  /** A publisher that failed closed itself; one given up is abandoned (closed in the background). */
  dropPublisher(publisher: TransactionalPublisher, giveUp: Promise<unknown> | undefined): void {
    if (this.publishers.get(publisher.transactionalId) === publisher) this.publishers.delete(publisher.transactionalId);
    if (giveUp === undefined) return;
    publisher.abandon();
    this.giveUp(giveUp);
  }

  markReachable(): void {
    if (!this.reachable) {
      this.reachable = true;
      this.since = Date.now();
      this.healthySince = this.since;
    }
    this.lastError = undefined;
  }

  /** A check or a publish failed: the cluster counts as failed (for failback) from now on. */
  markUnreachable(error: unknown): void {
    if (this.reachable) this.since = Date.now();
    this.reachable = false;
    this.healthySince = undefined;
    this.lastError = describeError(error);
    this.hasFailed = true;
  }

  /** Closes what answers within a moment; the rest finishes (or fails) in the background. */
  async close(): Promise<void> {
    this.closed = true;
    const publishers = [...this.publishers.values()];
    this.publishers.clear();
    const admin = this.admin;
    this.admin = undefined;
    const closing = Promise.allSettled([
      ...publishers.map((publisher) => publisher.close()),
      admin?.then((connected) => connected.close()),
    ]).then(() => this.client.close());
    await withTimeout(closing, CLOSE_WAIT_MS, `closing Kafka cluster '${this.id}'`).catch(() => {});
  }

  private giveUp(call: Promise<unknown>): void {
    const settled = call.then(
      () => {},
      () => {},
    );
    this.abandoned.add(settled);
    void settled.then(() => this.abandoned.delete(settled));
  }
}

/**
 * A takeover that has not answered yet, though it still may: the share goes on to the next cluster for now, and this
 * cluster is neither marked unhealthy nor counted as a failover.
 */
export class TakeoverPendingError extends WeirError {
  constructor(transactionalId: string, cluster: string, waitedMs: number) {
    super(`taking over '${transactionalId}' on Kafka cluster '${cluster}' has not answered within ${waitedMs} ms (it goes on in the background)`, { retriable: true });
  }
}

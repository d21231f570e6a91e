import { describeError } from '../../core/errors.ts';
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
   * The publisher of a transactional id on this cluster, taking the id over on first use, within `timeoutMs`. A
   * takeover given up is closed when it finally answers.
   */
  async publisher(settings: PublisherSettings, timeoutMs: number): Promise<TransactionalPublisher> {
    const known = this.publishers.get(settings.transactionalId);
    if (known !== undefined) return known;
    const takeover = this.adminOf().then((connected) => TransactionalPublisher.takeOver(this.client, connected, settings));
    let publisher: TransactionalPublisher;
    try {
      publisher = await withTimeout(takeover, timeoutMs, `taking over '${settings.transactionalId}' on Kafka cluster '${this.id}'`);
    } catch (error) {
      if (error instanceof TimeoutError) this.giveUp(takeover.then((late) => late.abandon()));
      throw error;
    }
    this.publishers.set(settings.transactionalId, publisher);
    return publisher;
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

import type { KafkaConnectionOptions } from '../kafka/client/index.ts';

/**
 * Multi-cluster Kafka (docs/multi-region.md): a job reads and writes *logical streams*, each of which lives on one or
 * more named Kafka clusters (one per region, say `us-east` and `eu-west`). Where each stream lives is the cluster
 * metadata; a metadata provider supplies it and may change it while the job runs.
 */

/** One Kafka cluster, named by an id that is stable across its connection details (it keys offsets in checkpoints). */
export interface ClusterSpec extends KafkaConnectionOptions {
  /** `host:port` list, or one comma-separated string. Required here: a cluster set never falls back to KAFKA_BROKERS. */
  readonly brokers: readonly string[] | string;
}

/** Where a logical stream lives on one cluster. */
export interface StreamPlacement {
  /** A cluster id of `ClusterMetadata.clusters`. */
  readonly cluster: string;
  /** The stream's topics on that cluster; a sink's stream names exactly one. */
  readonly topics: readonly string[];
}

/**
 * The cluster set and where each logical stream lives. A source reads every placement of its stream; a sink writes
 * its stream's placements in their order of preference (failover: the first healthy one; multiplex: all healthy ones).
 */
export interface ClusterMetadata {
  readonly clusters: Readonly<Record<string, ClusterSpec>>;
  readonly streams: Readonly<Record<string, readonly StreamPlacement[]>>;
  /** A migration in progress, as `weir migrate` records it (docs/multi-region-runbook.md); jobs log and report it. */
  readonly migration?: MigrationState;
}

/** The phases of moving a stream's job from cluster `from` to cluster `to` without downtime, in order. */
export const MIGRATION_PHASES = ['dual-read', 'sink-cutover', 'drain', 'remove-source', 'done'] as const;
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

export interface MigrationState {
  readonly from: string;
  readonly to: string;
  readonly phase: MigrationPhase;
}

/**
 * Supplies cluster metadata: fixed, from a JSON file that is watched, or from an HTTP endpoint that is polled. Every
 * subtask of a source or sink holds its own subscription and applies a change at its next checkpoint barrier, so a
 * change never splits an epoch or a checkpoint's positions; each applied change is logged with what it changed.
 */
export interface ClusterMetadataProvider {
  /** A name for logs and errors (the file's path, the URL). */
  readonly description: string;
  /** The current metadata; rejects with a message that names the source and the fault when it is missing or invalid. */
  load(): Promise<ClusterMetadata>;
  /**
   * Calls `onChange` with each later valid metadata that differs from the last one delivered, starting from
   * `current` (what `load` gave the subscriber). An invalid or unreadable update is logged and skipped (the last good
   * metadata stays in force). Returns the unsubscribe.
   */
  watch(onChange: (metadata: ClusterMetadata) => void, current: ClusterMetadata): () => void;
}

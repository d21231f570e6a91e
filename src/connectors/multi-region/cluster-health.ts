/**
 * What a multi-cluster source or sink subtask reports about each cluster it uses: the job's process turns it into
 * metrics (`weir_kafka_cluster_*`), the `/clusters` JSON route and `weir clusters`. Reported through
 * `RuntimeContext.reportStatus('clusters', ClusterHealth[])` when it changes, and at least at every checkpoint.
 */
export interface ClusterHealth {
  readonly cluster: string;
  readonly role: 'source' | 'sink';
  /** The last call to the cluster answered within its timeout. */
  readonly reachable: boolean;
  /** Why it is not reachable, or the last failure. */
  readonly lastError?: string;
  /** When `reachable` last changed (ms since the epoch). */
  readonly since: number;
  /** Source: records behind the end of this subtask's partitions of the cluster, as of the last check. */
  readonly lagRecords?: number;
  /** Source: the lag at the last completed checkpoint's positions, and that checkpoint (the drain proof reads it). */
  readonly lagAtCheckpoint?: { readonly checkpointId: number; readonly lagRecords: number; readonly partitions: number };
  /** Sink: epochs whose share this subtask published on the cluster. */
  readonly epochsPublished?: number;
  /** Sink: times this subtask moved epochs away from the cluster (a failed publish or health check). */
  readonly failovers?: number;
  /** Sink: whether the next epochs go to this cluster. */
  readonly receiving?: boolean;
}

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
  readonly lagAtCheckpoint?: LagAtCheckpoint;
  /** Sink: epochs whose share this subtask published on the cluster. */
  readonly epochsPublished?: number;
  /** Sink: times this subtask moved epochs away from the cluster (a failed publish or health check). */
  readonly failovers?: number;
  /** Sink: whether the next epochs go to this cluster. */
  readonly receiving?: boolean;
}

/**
 * A source subtask's partitions of one cluster when a checkpoint completed: how far its positions were behind their
 * end offsets, and whether those ends still move (the drain proof of `weir migrate` reads both: a cluster is drained
 * when nothing is written to it any more and every subtask has read to its end).
 */
export interface LagAtCheckpoint {
  readonly checkpointId: number;
  /** Records between the checkpoint's positions and the log ends, counting records of transactions still open. */
  readonly lagRecords: number;
  readonly partitions: number;
  /**
   * The sum of the partitions' log end offsets (past every record written, committed or not), measured once the
   * checkpoint completed (a digest: each end only grows).
   */
  readonly endOffsets?: number;
  /** When the end offsets were measured (ms since the epoch, the job's clock). */
  readonly measuredAt?: number;
  /**
   * The first checkpoint at which every partition's end offset (and the set of partitions) was already what it is now,
   * and when that was measured: equal to `checkpointId` when the ends moved since the checkpoint measured before.
   */
  readonly endsUnchangedSince?: { readonly checkpointId: number; readonly measuredAt: number };
  /** Records written to the partitions between the checkpoint measured before and this one (0 when the ends did not move). */
  readonly writtenSince?: { readonly checkpointId: number; readonly records: number };
}

import type { ClusterMetadata, MigrationState } from './cluster-metadata.ts';

/** The status kind of ClusterHealth[] (RuntimeContext.reportStatus). */
export const CLUSTERS_STATUS = 'clusters';
/** The status kind of MetadataStatus. */
export const METADATA_STATUS = 'cluster-metadata';

/**
 * What a multi-cluster source or sink subtask reports about the metadata it has in force
 * (`reportStatus('cluster-metadata', MetadataStatus)`), at start and at each barrier that applies a change: the
 * logical stream it reads or writes, where that stream lives for it now, and the migration the metadata records.
 * `weir migrate` reads it to know that a change it wrote is applied; `/clusters` and `weir clusters` show the phase.
 */
export interface MetadataStatus {
  readonly stream: string;
  readonly role: 'source' | 'sink';
  /** The stream's clusters in force, in order of preference. */
  readonly placements: readonly string[];
  readonly migration?: MigrationState;
  /** The barrier at which this metadata took effect; absent for the metadata loaded at start. */
  readonly appliedAtCheckpoint?: number;
}

export function metadataStatusOf(stream: string, role: MetadataStatus['role'], metadata: ClusterMetadata, appliedAtCheckpoint?: number): MetadataStatus {
  return {
    stream,
    role,
    placements: (metadata.streams[stream] ?? []).map((placement) => placement.cluster),
    ...(metadata.migration === undefined ? {} : { migration: metadata.migration }),
    ...(appliedAtCheckpoint === undefined ? {} : { appliedAtCheckpoint }),
  };
}

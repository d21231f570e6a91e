import type { ClusterHealth } from './cluster-health.ts';
import type { MigrationState } from './cluster-metadata.ts';
import type { MetadataStatus } from './metadata-status.ts';

/** One subtask's latest status of one kind, as the job's process keeps it. */
export interface StatusEntry {
  readonly operator: string;
  readonly operatorId: string;
  readonly subtask: number;
  readonly status: unknown;
  readonly updatedAt: number;
}

/** What the `/clusters` route answers and `weir clusters` and `weir migrate` read. */
export interface ClustersView {
  readonly job: string | undefined;
  readonly operators: readonly OperatorClusters[];
}

export interface OperatorClusters {
  readonly operator: string;
  readonly operatorId: string;
  readonly parallelism: number;
  readonly role: 'source' | 'sink' | undefined;
  /** The logical stream, when its subtasks report their metadata. */
  readonly stream?: string;
  /** The migration every subtask reporting its metadata has in force, when they agree. */
  readonly migration?: MigrationState;
  readonly clusters: readonly ClusterSummary[];
  readonly subtasks: readonly SubtaskClusters[];
}

/** One cluster of one operator, over the subtasks that report it. */
export interface ClusterSummary {
  readonly cluster: string;
  readonly role: 'source' | 'sink';
  /** Every subtask reporting the cluster reaches it. */
  readonly reachable: boolean;
  readonly subtasks: number;
  readonly unreachableSubtasks: number;
  readonly lastError?: string;
  /** Sum over subtasks. */
  readonly lagRecords?: number;
  /** Sums over subtasks, at the oldest of their last completed checkpoints; present when every subtask has one. */
  readonly lagAtCheckpoint?: { readonly checkpointId: number; readonly lagRecords: number; readonly partitions: number };
  readonly epochsPublished?: number;
  readonly failovers?: number;
  /** Some subtask sends its next epochs here. */
  readonly receiving?: boolean;
}

export interface SubtaskClusters {
  readonly subtask: number;
  readonly updatedAt: number;
  readonly clusters: readonly ClusterHealth[];
  readonly metadata?: MetadataStatus;
  /** A report this view could not read (it is shown, never dropped silently). */
  readonly problem?: string;
}

/** Builds the view from the operators' reported statuses ('clusters' and 'cluster-metadata'). */
export function clustersView(
  job: string | undefined,
  operators: readonly { readonly operator: string; readonly operatorId: string; readonly parallelism: number }[],
  health: readonly StatusEntry[],
  metadata: readonly StatusEntry[],
): ClustersView {
  const reporting = new Set([...health, ...metadata].map((entry) => entry.operatorId));
  const views: OperatorClusters[] = [];
  for (const info of operators) {
    if (!reporting.has(info.operatorId)) continue;
    const subtasks = new Map<number, { -readonly [K in keyof SubtaskClusters]: SubtaskClusters[K] }>();
    const subtaskOf = (entry: StatusEntry): { -readonly [K in keyof SubtaskClusters]: SubtaskClusters[K] } => {
      let found = subtasks.get(entry.subtask);
      if (found === undefined) subtasks.set(entry.subtask, (found = { subtask: entry.subtask, updatedAt: entry.updatedAt, clusters: [] }));
      found.updatedAt = Math.max(found.updatedAt, entry.updatedAt);
      return found;
    };
    for (const entry of health.filter((candidate) => candidate.operatorId === info.operatorId)) {
      const subtask = subtaskOf(entry);
      if (isHealthList(entry.status)) subtask.clusters = entry.status;
      else subtask.problem = `its 'clusters' status is not a list of ClusterHealth: ${JSON.stringify(entry.status).slice(0, 200)}`;
    }
    for (const entry of metadata.filter((candidate) => candidate.operatorId === info.operatorId)) {
      const subtask = subtaskOf(entry);
      if (isMetadataStatus(entry.status)) subtask.metadata = entry.status;
      else subtask.problem = `its 'cluster-metadata' status is not a MetadataStatus: ${JSON.stringify(entry.status).slice(0, 200)}`;
    }
    const list = [...subtasks.values()].sort((a, b) => a.subtask - b.subtask);
    const reported = list.flatMap((subtask) => (subtask.metadata === undefined ? [] : [subtask.metadata]));
    const role = reported[0]?.role ?? list.flatMap((subtask) => subtask.clusters)[0]?.role;
    const migrations = new Set(reported.map((status) => JSON.stringify(status.migration ?? null)));
    const agreed = reported.length > 0 && migrations.size === 1 ? reported[0]!.migration : undefined;
    views.push({
      ...info,
      role,
      ...(reported[0] === undefined ? {} : { stream: reported[0].stream }),
      ...(agreed === undefined ? {} : { migration: agreed }),
      clusters: summarize(list),
      subtasks: list,
    });
  }
  return { job, operators: views };
}

function summarize(subtasks: readonly SubtaskClusters[]): ClusterSummary[] {
  const byCluster = new Map<string, ClusterHealth[]>();
  for (const subtask of subtasks) {
    for (const health of subtask.clusters) byCluster.set(health.cluster, [...(byCluster.get(health.cluster) ?? []), health]);
  }
  return [...byCluster].map(([cluster, reports]) => {
    const unreachable = reports.filter((report) => !report.reachable);
    const sum = (pick: (report: ClusterHealth) => number | undefined): number | undefined => {
      const values = reports.map(pick).filter((value): value is number => value !== undefined);
      return values.length === 0 ? undefined : values.reduce((total, value) => total + value, 0);
    };
    const atCheckpoint = reports.map((report) => report.lagAtCheckpoint);
    const complete = atCheckpoint.every((lag) => lag !== undefined) ? (atCheckpoint as NonNullable<ClusterHealth['lagAtCheckpoint']>[]) : undefined;
    const lastError = unreachable[0]?.lastError ?? reports.find((report) => report.lastError !== undefined)?.lastError;
    const lagRecords = sum((report) => report.lagRecords);
    const epochsPublished = sum((report) => report.epochsPublished);
    const failovers = sum((report) => report.failovers);
    const receiving = reports.some((report) => report.receiving !== undefined) ? reports.some((report) => report.receiving === true) : undefined;
    return {
      cluster,
      role: reports[0]!.role,
      reachable: unreachable.length === 0,
      subtasks: reports.length,
      unreachableSubtasks: unreachable.length,
      ...(lastError === undefined ? {} : { lastError }),
      ...(lagRecords === undefined ? {} : { lagRecords }),
      ...(complete === undefined || complete.length === 0
        ? {}
        : {
            lagAtCheckpoint: {
              checkpointId: Math.min(...complete.map((lag) => lag.checkpointId)),
              lagRecords: complete.reduce((total, lag) => total + lag.lagRecords, 0),
              partitions: complete.reduce((total, lag) => total + lag.partitions, 0),
            },
          }),
      ...(epochsPublished === undefined ? {} : { epochsPublished }),
      ...(failovers === undefined ? {} : { failovers }),
      ...(receiving === undefined ? {} : { receiving }),
    };
  });
}

function isHealthList(value: unknown): value is ClusterHealth[] {
  return (
    Array.isArray(value) &&
    value.every(
      (item) =>
        typeof item === 'object' &&
        item !== null &&
        typeof (item as ClusterHealth).cluster === 'string' &&
        ((item as ClusterHealth).role === 'source' || (item as ClusterHealth).role === 'sink') &&
        typeof (item as ClusterHealth).reachable === 'boolean',
    )
  );
}

function isMetadataStatus(value: unknown): value is MetadataStatus {
  if (typeof value !== 'object' || value === null) return false;
  const status = value as MetadataStatus;
  return typeof status.stream === 'string' && (status.role === 'source' || status.role === 'sink') && Array.isArray(status.placements);
}

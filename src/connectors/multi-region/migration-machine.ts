import { WeirError } from '../../core/errors.ts';
import { MIGRATION_PHASES, type ClusterMetadata, type MigrationPhase, type MigrationState } from './cluster-metadata.ts';
import type { ClusterHealth } from './cluster-health.ts';
import type { ClustersView, OperatorClusters, SubtaskClusters } from './cluster-view.ts';
import { describeMetadataChange } from './metadata-changes.ts';
import { checkMigrationRequest, metadataForPhase, type MigrationRequest } from './migration-metadata.ts';

/**
 * What `weir migrate` does next, decided from the metadata file and what the job reports (docs/multi-region-runbook.md):
 * write the next phase's metadata, wait (saying for what), or stop because the migration is done.
 */
export type MigrationStep =
  | { readonly kind: 'write'; readonly phase: MigrationPhase; readonly metadata: ClusterMetadata; readonly changes: readonly string[] }
  | {
      readonly kind: 'wait';
      readonly phase: MigrationPhase;
      readonly waitingFor: readonly string[];
      /** Set when the drain phase is first seen applied: keep it and pass it back as `drainAfterCheckpoint`. */
      readonly drainAfterCheckpoint?: number;
    }
  | { readonly kind: 'done' };

export interface MigrationObservation {
  /** What the job's `/clusters` route answered. */
  readonly view: ClustersView;
  /**
   * The newest completed checkpoint whose lag the job had reported when the drain phase was seen applied: only a
   * later checkpoint proves the drain. Undefined until then.
   */
  readonly drainAfterCheckpoint: number | undefined;
}

/**
 * How long, by default, the end offsets of `from` must stay still before its producers count as moved.
 *
 * Two checkpoints with the same end offsets prove only that nothing was written during one checkpoint interval, and
 * that interval is chosen for recovery, not for this: at 200 ms, a producer that sends once a second, lingers to fill
 * a batch, backs off between retries or sits in a GC pause looks gone, A is removed, and what it writes next stays
 * unread on A. So the quiet must also last a wall-clock minimum that does not depend on the checkpoint interval; an
 * operator whose producers write in rarer bursts raises it (`weir migrate --quiet-ms`). No quiet proves that a
 * producer never writes again: moving the producers is the operator's step, and the quiet is the check that it happened.
 */
export const DEFAULT_DRAIN_QUIET_MS = 10_000;

/**
 * The phase machine: from the metadata in the file and the job's reports, the next step. A phase is written only when
 * the one before it is applied by every subtask concerned (each reports the metadata in force, or, for a connector
 * that reports only its cluster health, its health shows the change). The drain is left only when `from` is proven
 * drained, per source subtask: its producers have moved (the end offsets of its partitions on `from` did not change
 * across two checkpoints completed after the drain began, nor for at least the request's quiet time) and it has read
 * to those end offsets (zero lag at the later checkpoint). `done` (the sink loses `from`) waits until every sink
 * subtask reaches `to`, so that the sink is never left with no cluster that answers.
 */
export function nextMigrationStep(metadata: ClusterMetadata, request: MigrationRequest, observation: MigrationObservation): MigrationStep {
  const recorded = checkMigration(metadata, request);
  if (recorded === undefined) return write(metadata, request, MIGRATION_PHASES[0]);
  const phase = recorded.phase;
  const waiting = notApplied(metadata, request, phase, observation.view);
  if (waiting.length > 0) return { kind: 'wait', phase, waitingFor: waiting };
  if (phase === 'drain') {
    if (observation.drainAfterCheckpoint === undefined) {
      const after = newestCheckpointOn(observation.view, request);
      return { kind: 'wait', phase, waitingFor: [`a checkpoint completed after ${after} that proves ${request.from} drained`], drainAfterCheckpoint: after };
    }
    const undrained = drainWaits(request, observation.view, observation.drainAfterCheckpoint);
    if (undrained.length > 0) return { kind: 'wait', phase, waitingFor: undrained };
  }
  if (phase === 'remove-source') {
    const unreachable = sinkReachesTarget(request, observation.view);
    if (unreachable.length > 0) return { kind: 'wait', phase, waitingFor: unreachable };
  }
  if (phase === 'done') return { kind: 'done' };
  return write(metadata, request, MIGRATION_PHASES[MIGRATION_PHASES.indexOf(phase) + 1]!);
}

/**
 * Throws when the request does not fit the metadata (unknown clusters or streams, another migration in progress);
 * returns the request's migration as the metadata records it, or undefined when it has not started.
 */
export function checkMigration(metadata: ClusterMetadata, request: MigrationRequest): MigrationState | undefined {
  const recorded = metadata.migration;
  const ours = recorded !== undefined && recorded.from === request.from && recorded.to === request.to;
  if (recorded !== undefined && !ours && recorded.phase !== 'done') {
    throw new WeirError(
      `the metadata records another migration, from ${recorded.from} to ${recorded.to}, at phase ${recorded.phase}: ` +
        `finish it first (weir migrate --from ${recorded.from} --to ${recorded.to}) or roll it back (docs/multi-region-runbook.md)`,
    );
  }
  checkMigrationRequest(metadata, request, !ours);
  return ours ? recorded : undefined;
}

function write(metadata: ClusterMetadata, request: MigrationRequest, phase: MigrationPhase): MigrationStep {
  const next = metadataForPhase(metadata, request, phase);
  return { kind: 'write', phase, metadata: next, changes: describeMetadataChange(metadata, next) };
}

/** The operators a role of the migration concerns: every one of that role, or of the streams named when it says its stream. */
function concerned(view: ClustersView, role: 'source' | 'sink', streams: readonly string[]): OperatorClusters[] {
  return view.operators.filter((operator) => operator.role === role && (operator.stream === undefined || streams.includes(operator.stream)));
}

/** Each subtask of each concerned operator, or what is missing. */
function eachSubtask(operators: readonly OperatorClusters[], check: (operator: OperatorClusters, subtask: SubtaskClusters) => string | undefined): string[] {
  const waits: string[] = [];
  for (const operator of operators) {
    for (let index = 0; index < operator.parallelism; index++) {
      const where = `${operator.role} '${operator.operator}' subtask ${index + 1}/${operator.parallelism}`;
      const subtask = operator.subtasks.find((candidate) => candidate.subtask === index);
      const problem = subtask === undefined ? 'has reported nothing yet' : check(operator, subtask);
      if (problem !== undefined) waits.push(`${where} ${problem}`);
    }
  }
  return waits;
}

function notApplied(metadata: ClusterMetadata, request: MigrationRequest, phase: MigrationPhase, view: ClustersView): string[] {
  const expected: MigrationState = { from: request.from, to: request.to, phase };
  const roles: { role: 'source' | 'sink'; streams: readonly string[] }[] = [
    { role: 'source', streams: request.sourceStreams },
    { role: 'sink', streams: request.sinkStream === undefined ? [] : [request.sinkStream] },
  ];
  const waits: string[] = [];
  for (const { role, streams } of roles) {
    if (streams.length === 0) continue;
    const operators = concerned(view, role, streams);
    if (operators.length === 0) {
      waits.push(`no ${role} of stream ${streams.join(', ')} reports its clusters to the job yet`);
      continue;
    }
    waits.push(
      ...eachSubtask(operators, (operator, subtask) => {
        const status = subtask.metadata;
        if (status === undefined) return inferredFromHealth(request, phase, role, subtask.clusters);
        const placements = (metadata.streams[status.stream] ?? []).map((placement) => placement.cluster);
        if (!sameMigration(status.migration, expected) || placements.join(',') !== status.placements.join(',')) {
          return `has ${describeMigration(status.migration)} with [${status.placements.join(', ')}] in force, not yet ${phase} with [${placements.join(', ')}]`;
        }
        return undefined;
      }),
    );
  }
  return waits;
}

/** For a connector that reports only its ClusterHealth: whether its health shows the phase's change. */
function inferredFromHealth(request: MigrationRequest, phase: MigrationPhase, role: 'source' | 'sink', clusters: readonly ClusterHealth[]): string | undefined {
  const on = (cluster: string): ClusterHealth | undefined => clusters.find((health) => health.cluster === cluster);
  if (role === 'source' && phase === 'dual-read' && on(request.to) === undefined) return `does not read ${request.to} yet`;
  if (role === 'source' && phase === 'remove-source' && on(request.from) !== undefined) return `still reads ${request.from}`;
  if (role === 'sink' && phase === 'sink-cutover' && on(request.to)?.receiving !== true) return `does not send its epochs to ${request.to} yet`;
  if (role === 'sink' && phase === 'done' && on(request.from) !== undefined) return `still writes to ${request.from}`;
  return undefined;
}

function drainWaits(request: MigrationRequest, view: ClustersView, after: number): string[] {
  const { from, to } = request;
  const quietMs = request.drainQuietMs ?? DEFAULT_DRAIN_QUIET_MS;
  return eachSubtask(concerned(view, 'source', request.sourceStreams), (_, subtask) => {
    const health = subtask.clusters.find((candidate) => candidate.cluster === from);
    if (health === undefined) return `reports no health for ${from}`;
    if (!health.reachable) return `cannot reach ${from}${health.lastError === undefined ? '' : ` (${health.lastError})`}`;
    const lag = health.lagAtCheckpoint;
    if (lag === undefined || lag.checkpointId <= after) return `has no lag on ${from} at a checkpoint completed after ${after} yet`;
    const since = lag.endsUnchangedSince;
    if (since === undefined || lag.measuredAt === undefined) return `reports no end offsets of ${from} at its checkpoints: nothing shows that ${from}'s producers have moved`;
    if (since.checkpointId >= lag.checkpointId) {
      const written = lag.writtenSince;
      if (written !== undefined && written.records > 0) {
        return `sees ${from}'s end offsets still moving: ${written.records} records written since checkpoint ${written.checkpointId} (measured at checkpoint ${lag.checkpointId}); move the producers to ${to}`;
      }
      return `has ${from}'s end offsets of checkpoint ${lag.checkpointId}, and waits for a later checkpoint to show them unchanged`;
    }
    // The ends may have been still since before the drain: the quiet must still span two checkpoints after it began.
    const firstAfter = Math.max(since.checkpointId, after + 1);
    if (lag.checkpointId <= firstAfter) return `has ${from}'s end offsets unchanged since checkpoint ${since.checkpointId}, and waits for a second checkpoint after ${after} to show them so`;
    const quietFor = lag.measuredAt - since.measuredAt;
    if (quietFor < quietMs) {
      return `has ${from}'s end offsets unchanged for ${seconds(quietFor)} (since checkpoint ${since.checkpointId}), and waits for ${seconds(quietMs)} of quiet`;
    }
    if (lag.lagRecords > 0) return `is ${lag.lagRecords} records behind on ${from} at checkpoint ${lag.checkpointId} (${lag.partitions} partitions)`;
    return undefined;
  });
}

/** Before the sink loses `from`: every sink subtask reaches `to` (with `to` down, `from` is where its epochs go meanwhile). */
function sinkReachesTarget(request: MigrationRequest, view: ClustersView): string[] {
  if (request.sinkStream === undefined) return [];
  const { from, to } = request;
  return eachSubtask(concerned(view, 'sink', [request.sinkStream]), (_, subtask) => {
    const health = subtask.clusters.find((candidate) => candidate.cluster === to);
    if (health === undefined) return `reports no health for ${to}`;
    if (!health.reachable) return `cannot reach ${to}${health.lastError === undefined ? '' : ` (${health.lastError})`}, so ${from} stays its failover target`;
    return undefined;
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The newest checkpoint at which a source subtask reported its lag on `from`. */
function newestCheckpointOn(view: ClustersView, request: MigrationRequest): number {
  let newest = 0;
  for (const operator of concerned(view, 'source', request.sourceStreams)) {
    for (const subtask of operator.subtasks) {
      const lag = subtask.clusters.find((health) => health.cluster === request.from)?.lagAtCheckpoint;
      if (lag !== undefined) newest = Math.max(newest, lag.checkpointId);
    }
  }
  return newest;
}

function sameMigration(a: MigrationState | undefined, b: MigrationState): boolean {
  return a !== undefined && a.from === b.from && a.to === b.to && a.phase === b.phase;
}

function describeMigration(migration: MigrationState | undefined): string {
  return migration === undefined ? 'no migration' : `${migration.phase} (${migration.from} -> ${migration.to})`;
}

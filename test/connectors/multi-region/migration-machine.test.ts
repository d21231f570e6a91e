import { describe, expect, it } from 'vitest';
import { MIGRATION_PHASES, type ClusterMetadata, type MigrationPhase } from '../../../src/connectors/multi-region/cluster-metadata.ts';
import type { ClusterHealth } from '../../../src/connectors/multi-region/cluster-health.ts';
import { clustersView, type ClustersView, type StatusEntry } from '../../../src/connectors/multi-region/cluster-view.ts';
import { metadataStatusOf } from '../../../src/connectors/multi-region/metadata-status.ts';
import { nextMigrationStep, type MigrationStep } from '../../../src/connectors/multi-region/migration-machine.ts';
import type { MigrationRequest } from '../../../src/connectors/multi-region/migration-metadata.ts';

const START: ClusterMetadata = {
  clusters: { a: { brokers: ['a:9092'] }, b: { brokers: ['b:9092'] }, c: { brokers: ['c:9092'] } },
  streams: {
    ratings: [{ cluster: 'a', topics: ['ratings'] }],
    scores: [{ cluster: 'a', topics: ['scores'] }],
    other: [{ cluster: 'c', topics: ['other'] }],
  },
};
const REQUEST: MigrationRequest = { from: 'a', to: 'b', sinkStream: 'scores', sourceStreams: ['ratings'] };
const OPERATORS = [
  { operator: 'kafka:ratings', operatorId: 'src', parallelism: 2 },
  { operator: 'kafka:scores', operatorId: 'sink', parallelism: 2 },
];

interface SubtaskReport {
  readonly operatorId: 'src' | 'sink';
  readonly subtask: number;
  readonly health?: ClusterHealth[];
  readonly metadata?: ClusterMetadata;
}

function view(reports: readonly SubtaskReport[]): ClustersView {
  const entry = (report: SubtaskReport, status: unknown): StatusEntry => ({
    operator: report.operatorId === 'src' ? 'kafka:ratings' : 'kafka:scores',
    operatorId: report.operatorId,
    subtask: report.subtask,
    status,
    updatedAt: 1,
  });
  const health = reports.flatMap((report) => (report.health === undefined ? [] : [entry(report, report.health)]));
  const metadata = reports.flatMap((report) =>
    report.metadata === undefined
      ? []
      : [entry(report, metadataStatusOf(report.operatorId === 'src' ? 'ratings' : 'scores', report.operatorId === 'src' ? 'source' : 'sink', report.metadata))],
  );
  return clustersView('job', OPERATORS, health, metadata);
}

const source = (cluster: string, lag?: { checkpointId: number; lagRecords: number }, reachable = true): ClusterHealth => ({
  cluster,
  role: 'source',
  reachable,
  since: 0,
  lagRecords: lag?.lagRecords ?? 0,
  ...(lag === undefined ? {} : { lagAtCheckpoint: { ...lag, partitions: 3 } }),
});
const sink = (cluster: string, receiving: boolean): ClusterHealth => ({ cluster, role: 'sink', reachable: true, since: 0, epochsPublished: 1, failovers: 0, receiving });

/** Every subtask of both operators has `metadata` in force, with the health a connector would report for it. */
function applied(metadata: ClusterMetadata, lagOnA?: { checkpointId: number; lagRecords: number }): ClustersView {
  const reports: SubtaskReport[] = [];
  for (const subtask of [0, 1]) {
    reports.push({ operatorId: 'src', subtask, metadata, health: metadata.streams['ratings']!.map((p) => source(p.cluster, p.cluster === 'a' ? lagOnA : undefined)) });
    reports.push({ operatorId: 'sink', subtask, metadata, health: metadata.streams['scores']!.map((p, index) => sink(p.cluster, index === 0)) });
  }
  return view(reports);
}

function expectWrite(step: MigrationStep, phase: MigrationPhase): ClusterMetadata {
  expect(step.kind).toBe('write');
  if (step.kind !== 'write') throw new Error('unreachable');
  expect(step.phase).toBe(phase);
  expect(step.metadata.migration).toEqual({ from: 'a', to: 'b', phase });
  return step.metadata;
}

function expectWait(step: MigrationStep): readonly string[] {
  expect(step.kind).toBe('wait');
  if (step.kind !== 'wait') throw new Error('unreachable');
  return step.waitingFor;
}

describe('the migration phase machine', () => {
  it('starts with dual-read: each source stream gains the new cluster with the same topics, the rest stays', () => {
    const next = expectWrite(nextMigrationStep(START, REQUEST, { view: applied(START), drainAfterCheckpoint: undefined }), 'dual-read');
    expect(next.streams['ratings']).toEqual([
      { cluster: 'a', topics: ['ratings'] },
      { cluster: 'b', topics: ['ratings'] },
    ]);
    expect(next.streams['scores']).toEqual(START.streams['scores']);
    expect(next.streams['other']).toEqual(START.streams['other']);
    expect(next.clusters).toEqual(START.clusters);
  });

  it('waits for every subtask to have the phase in force, naming the ones behind', () => {
    const dualRead = expectWrite(nextMigrationStep(START, REQUEST, { view: applied(START), drainAfterCheckpoint: undefined }), 'dual-read');
    // Subtask 1 of the source still has the old metadata; subtask 1 of the sink has reported nothing.
    const partly = view([
      { operatorId: 'src', subtask: 0, metadata: dualRead },
      { operatorId: 'src', subtask: 1, metadata: START },
      { operatorId: 'sink', subtask: 0, metadata: dualRead },
    ]);
    const waits = expectWait(nextMigrationStep(dualRead, REQUEST, { view: partly, drainAfterCheckpoint: undefined }));
    expect(waits).toEqual([
      "source 'kafka:ratings' subtask 2/2 has no migration with [a] in force, not yet dual-read with [a, b]",
      "sink 'kafka:scores' subtask 2/2 has reported nothing yet",
    ]);
    expect(expectWait(nextMigrationStep(dualRead, REQUEST, { view: view([]), drainAfterCheckpoint: undefined }))).toEqual([
      'no source of stream ratings reports its clusters to the job yet',
      'no sink of stream scores reports its clusters to the job yet',
    ]);
  });

  it('goes through every phase in order, and removes the old cluster only after a drain proven at a later checkpoint', () => {
    let metadata = START;
    const phases: MigrationPhase[] = [];
    for (const phase of MIGRATION_PHASES.slice(0, 3)) {
      metadata = expectWrite(nextMigrationStep(metadata, REQUEST, { view: applied(metadata), drainAfterCheckpoint: undefined }), phase);
      phases.push(phase);
    }
    expect(metadata.streams['scores']).toEqual([
      { cluster: 'b', topics: ['scores'] },
      { cluster: 'a', topics: ['scores'] },
    ]);
    // Drain applied: the newest checkpoint with a lag on a is 7, so only a later one proves anything.
    const first = nextMigrationStep(metadata, REQUEST, { view: applied(metadata, { checkpointId: 7, lagRecords: 0 }), drainAfterCheckpoint: undefined });
    expect(first).toMatchObject({ kind: 'wait', phase: 'drain', drainAfterCheckpoint: 7 });
    const observe = (lag: { checkpointId: number; lagRecords: number }): MigrationStep =>
      nextMigrationStep(metadata, REQUEST, { view: applied(metadata, lag), drainAfterCheckpoint: 7 });
    expect(expectWait(observe({ checkpointId: 7, lagRecords: 0 }))[0]).toBe(
      "source 'kafka:ratings' subtask 1/2 has no lag on a at a checkpoint completed after 7 yet",
    );
    expect(expectWait(observe({ checkpointId: 9, lagRecords: 12 }))[0]).toBe(
      "source 'kafka:ratings' subtask 1/2 is 12 records behind on a at checkpoint 9 (3 partitions)",
    );
    metadata = expectWrite(observe({ checkpointId: 9, lagRecords: 0 }), 'remove-source');
    phases.push('remove-source');
    expect(metadata.streams['ratings']).toEqual([{ cluster: 'b', topics: ['ratings'] }]);
    metadata = expectWrite(nextMigrationStep(metadata, REQUEST, { view: applied(metadata), drainAfterCheckpoint: 7 }), 'done');
    phases.push('done');
    expect(metadata.streams['scores']).toEqual([{ cluster: 'b', topics: ['scores'] }]);
    expect(nextMigrationStep(metadata, REQUEST, { view: applied(metadata), drainAfterCheckpoint: 7 })).toEqual({ kind: 'done' });
    expect(phases).toEqual([...MIGRATION_PHASES]);
  });

  it('does not count a drain while one subtask cannot reach the old cluster or lags on it', () => {
    const drain = { ...START, streams: { ...START.streams, ratings: [{ cluster: 'a', topics: ['ratings'] }, { cluster: 'b', topics: ['ratings'] }] }, migration: { from: 'a', to: 'b', phase: 'drain' as const } };
    const request = { ...REQUEST, sinkStream: undefined };
    const reports: SubtaskReport[] = [
      { operatorId: 'src', subtask: 0, metadata: drain, health: [source('a', { checkpointId: 12, lagRecords: 0 }), source('b')] },
      { operatorId: 'src', subtask: 1, metadata: drain, health: [{ ...source('a', { checkpointId: 12, lagRecords: 0 }, false), lastError: 'connect ECONNREFUSED' }, source('b')] },
    ];
    expect(expectWait(nextMigrationStep(drain, request, { view: view(reports), drainAfterCheckpoint: 10 }))).toEqual([
      "source 'kafka:ratings' subtask 2/2 cannot reach a (connect ECONNREFUSED)",
    ]);
  });

  it('reads a connector that reports only its cluster health: the new cluster read, the epochs sent to it, the old one gone', () => {
    const dualRead = { ...START, streams: { ...START.streams, ratings: [{ cluster: 'a', topics: ['ratings'] }, { cluster: 'b', topics: ['ratings'] }] }, migration: { from: 'a', to: 'b', phase: 'dual-read' as const } };
    const request = { ...REQUEST, sinkStream: undefined };
    const healthOnly = (clusters: string[]): ClustersView =>
      view([0, 1].map((subtask) => ({ operatorId: 'src' as const, subtask, health: clusters.map((cluster) => source(cluster)) })));
    expect(expectWait(nextMigrationStep(dualRead, request, { view: healthOnly(['a']), drainAfterCheckpoint: undefined }))).toEqual([
      "source 'kafka:ratings' subtask 1/2 does not read b yet",
      "source 'kafka:ratings' subtask 2/2 does not read b yet",
    ]);
    expectWrite(nextMigrationStep(dualRead, request, { view: healthOnly(['a', 'b']), drainAfterCheckpoint: undefined }), 'sink-cutover');

    const cutover = { ...dualRead, streams: { ...dualRead.streams, scores: [{ cluster: 'b', topics: ['scores'] }, { cluster: 'a', topics: ['scores'] }] }, migration: { from: 'a', to: 'b', phase: 'sink-cutover' as const } };
    const sinkHealth = (receivingOnB: boolean): ClustersView =>
      view([0, 1].map((subtask) => ({ operatorId: 'sink' as const, subtask, health: [sink('a', !receivingOnB), sink('b', receivingOnB)] })));
    const sinkOnly = { ...REQUEST, sourceStreams: [] };
    expect(expectWait(nextMigrationStep(cutover, sinkOnly, { view: sinkHealth(false), drainAfterCheckpoint: undefined }))[0]).toBe(
      "sink 'kafka:scores' subtask 1/2 does not send its epochs to b yet",
    );
    expectWrite(nextMigrationStep(cutover, sinkOnly, { view: sinkHealth(true), drainAfterCheckpoint: undefined }), 'drain');
  });

  it('refuses another migration in progress, unknown clusters and streams, and a source stream that is not on the old cluster', () => {
    const other = { ...START, migration: { from: 'c', to: 'b', phase: 'drain' as const } };
    const none = { view: view([]), drainAfterCheckpoint: undefined };
    expect(() => nextMigrationStep(other, REQUEST, none)).toThrow(/another migration, from c to b, at phase drain: finish it first/);
    expect(() => nextMigrationStep(START, { ...REQUEST, to: 'x' }, none)).toThrow(/cluster x is not in the metadata's clusters \(a, b, c\)/);
    expect(() => nextMigrationStep(START, { ...REQUEST, sourceStreams: ['nope'] }, none)).toThrow(/stream 'nope' is not in the metadata/);
    expect(() => nextMigrationStep(START, { ...REQUEST, sourceStreams: ['other'] }, none)).toThrow(/source stream 'other' has no placement on a/);
    // A migration that is done may be followed by a new one.
    const done = { ...START, migration: { from: 'c', to: 'a', phase: 'done' as const } };
    expectWrite(nextMigrationStep(done, REQUEST, none), 'dual-read');
  });
});

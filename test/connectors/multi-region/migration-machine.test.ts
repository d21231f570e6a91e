import { describe, expect, it } from 'vitest';
import { MIGRATION_PHASES, type ClusterMetadata, type MigrationPhase } from '../../../src/connectors/multi-region/cluster-metadata.ts';
import type { ClusterHealth, LagAtCheckpoint } from '../../../src/connectors/multi-region/cluster-health.ts';
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

/**
 * A source's lag at a checkpoint; by default its end offsets have been still since two checkpoints before, for a
 * minute (a drained cluster whose producers are gone), unless `endsStillSince` (a checkpoint, and for how long) or
 * `written` say otherwise, or `ends: false` (a connector that does not report them).
 */
interface Lag {
  readonly checkpointId: number;
  readonly lagRecords: number;
  readonly endsStillSince?: { readonly checkpointId: number; readonly forMs: number };
  readonly written?: { readonly checkpointId: number; readonly records: number };
  readonly ends?: false;
}
const MEASURED_AT = 1_000_000;
const source = (cluster: string, lag?: Lag, reachable = true): ClusterHealth => ({
  cluster,
  role: 'source',
  reachable,
  since: 0,
  lagRecords: lag?.lagRecords ?? 0,
  ...(lag === undefined ? {} : { lagAtCheckpoint: lagAtCheckpoint(lag) }),
});
function lagAtCheckpoint({ checkpointId, lagRecords, endsStillSince, written, ends }: Lag): LagAtCheckpoint {
  const still = endsStillSince ?? { checkpointId: checkpointId - 2, forMs: 60_000 };
  return {
    checkpointId,
    lagRecords,
    partitions: 3,
    ...(ends === false
      ? {}
      : {
          endOffsets: 1_234,
          measuredAt: MEASURED_AT,
          endsUnchangedSince: { checkpointId: still.checkpointId, measuredAt: MEASURED_AT - still.forMs },
          ...(written === undefined ? {} : { writtenSince: written }),
        }),
  };
}
const sink = (cluster: string, receiving: boolean): ClusterHealth => ({ cluster, role: 'sink', reachable: true, since: 0, epochsPublished: 1, failovers: 0, receiving });

/** Every subtask of both operators has `metadata` in force, with the health a connector would report for it. */
function applied(metadata: ClusterMetadata, lagOnA?: Lag, sinkReachesB = true): ClustersView {
  const reports: SubtaskReport[] = [];
  for (const subtask of [0, 1]) {
    reports.push({ operatorId: 'src', subtask, metadata, health: metadata.streams['ratings']!.map((p) => source(p.cluster, p.cluster === 'a' ? lagOnA : undefined)) });
    const sinkHealth = metadata.streams['scores']!.map((p, index) => sink(p.cluster, index === 0));
    reports.push({ operatorId: 'sink', subtask, metadata, health: sinkHealth.map((health) => (health.cluster === 'b' && !sinkReachesB ? { ...health, reachable: false, lastError: 'connect ECONNREFUSED' } : health)) });
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
    const observe = (lag: Lag): MigrationStep =>
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

  it("leaves the drain only when a's end offsets stood still across two checkpoints after it began, for the quiet time, and every subtask read to them", () => {
    const drain = { ...START, streams: { ...START.streams, ratings: [{ cluster: 'a', topics: ['ratings'] }, { cluster: 'b', topics: ['ratings'] }] }, migration: { from: 'a', to: 'b', phase: 'drain' as const } };
    const request: MigrationRequest = { ...REQUEST, sinkStream: undefined, drainQuietMs: 2_000 };
    // The drain began after checkpoint 7. Subtask 1 reports `first`, subtask 2 `second`.
    const step = (first: Lag, second: Lag = first): MigrationStep =>
      nextMigrationStep(drain, request, {
        view: view([0, 1].map((subtask) => ({ operatorId: 'src' as const, subtask, metadata: drain, health: [source('a', subtask === 0 ? first : second), source('b')] }))),
        drainAfterCheckpoint: 7,
      });
    const drained: Lag = { checkpointId: 10, lagRecords: 0, endsStillSince: { checkpointId: 8, forMs: 2_000 } };
    expect(step(drained)).toMatchObject({ kind: 'write', phase: 'remove-source' });

    // The producer still writes to a: zero lag is not enough, and the wait says how much was written.
    const moving: Lag = { checkpointId: 10, lagRecords: 0, endsStillSince: { checkpointId: 10, forMs: 0 }, written: { checkpointId: 9, records: 40 } };
    expect(expectWait(step(drained, moving))).toEqual([
      "source 'kafka:ratings' subtask 2/2 sees a's end offsets still moving: 40 records written since checkpoint 9 (measured at checkpoint 10); move the producers to b",
    ]);
    // The first measurement (no checkpoint before it to compare with) proves nothing either.
    expect(expectWait(step({ checkpointId: 8, lagRecords: 0, endsStillSince: { checkpointId: 8, forMs: 0 } }))[0]).toBe(
      "source 'kafka:ratings' subtask 1/2 has a's end offsets of checkpoint 8, and waits for a later checkpoint to show them unchanged",
    );
    // Still since before the drain, but only one checkpoint after it shows so: the second one is still to come.
    expect(expectWait(step({ checkpointId: 8, lagRecords: 0, endsStillSince: { checkpointId: 3, forMs: 60_000 } }))[0]).toBe(
      "source 'kafka:ratings' subtask 1/2 has a's end offsets unchanged since checkpoint 3, and waits for a second checkpoint after 7 to show them so",
    );
    expect(step({ checkpointId: 9, lagRecords: 0, endsStillSince: { checkpointId: 3, forMs: 60_000 } })).toMatchObject({ kind: 'write', phase: 'remove-source' });
    // Two checkpoints after the drain with the same ends, but only 0.4 s apart: a pause of a producer, not proof it moved.
    expect(expectWait(step({ checkpointId: 10, lagRecords: 0, endsStillSince: { checkpointId: 9, forMs: 400 } }))[0]).toBe(
      "source 'kafka:ratings' subtask 1/2 has a's end offsets unchanged for 0.4 s (since checkpoint 9), and waits for 2.0 s of quiet",
    );
    // Producers gone, but the source has not read to the end yet.
    expect(expectWait(step({ ...drained, lagRecords: 3 }, drained))).toEqual(["source 'kafka:ratings' subtask 1/2 is 3 records behind on a at checkpoint 10 (3 partitions)"]);
    // A connector that reports its lag but not the end offsets cannot prove that the producers moved.
    expect(expectWait(step({ checkpointId: 10, lagRecords: 0, ends: false }, drained))).toEqual([
      "source 'kafka:ratings' subtask 1/2 reports no end offsets of a at its checkpoints: nothing shows that a's producers have moved",
    ]);
    // The default quiet time holds when the request names none.
    const quietDefault = nextMigrationStep(drain, { ...REQUEST, sinkStream: undefined }, {
      view: view([0, 1].map((subtask) => ({ operatorId: 'src' as const, subtask, metadata: drain, health: [source('a', drained), source('b')] }))),
      drainAfterCheckpoint: 7,
    });
    expect(expectWait(quietDefault)[0]).toMatch(/unchanged for 2\.0 s \(since checkpoint 8\), and waits for 10\.0 s of quiet$/);
  });

  it('keeps the old cluster in the sink until every sink subtask reaches the new one', () => {
    let metadata = START;
    for (const phase of MIGRATION_PHASES.slice(0, 4)) metadata = expectWrite(nextMigrationStep(metadata, REQUEST, { view: applied(metadata, { checkpointId: 9, lagRecords: 0 }), drainAfterCheckpoint: phase === 'remove-source' ? 7 : undefined }), phase);
    expect(metadata.migration?.phase).toBe('remove-source');
    const waits = expectWait(nextMigrationStep(metadata, REQUEST, { view: applied(metadata, undefined, false), drainAfterCheckpoint: 7 }));
    expect(waits).toEqual([
      "sink 'kafka:scores' subtask 1/2 cannot reach b (connect ECONNREFUSED), so a stays its failover target",
      "sink 'kafka:scores' subtask 2/2 cannot reach b (connect ECONNREFUSED), so a stays its failover target",
    ]);
    expectWrite(nextMigrationStep(metadata, REQUEST, { view: applied(metadata), drainAfterCheckpoint: 7 }), 'done');
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

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EpochDedup, type EpochDedupState } from '../../../src/connectors/multi-region/epoch-dedup.ts';
import type { RecordId } from '../../../src/connectors/multi-region/record-id.ts';

/** One record as a cluster holds it: its sink id and partition. */
interface Copy {
  readonly id: RecordId;
  readonly partition: string;
}

const CLUSTERS = ['us', 'eu', 'ap'];

/**
 * Several clusters' logs of the same epochs: for each (share, partition, epoch), the clusters that hold a full copy
 * (a transaction that committed there), at least one; each cluster's log holds its copies in a random epoch order
 * (a share retried late lands after newer epochs).
 */
const logsArbitrary = fc
  .record({
    clusters: fc.integer({ min: 2, max: 3 }),
    epochs: fc.integer({ min: 1, max: 8 }),
    records: fc.integer({ min: 1, max: 3 }),
    seed: fc.array(fc.tuple(fc.integer({ min: 1, max: 7 }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 64, maxLength: 64 }),
  })
  .map(({ clusters, epochs, records, seed }) => {
    const names = CLUSTERS.slice(0, clusters);
    const logs = new Map<string, { sortKey: number; copy: Copy }[]>(names.map((name) => [name, []]));
    let next = 0;
    const take = () => seed[next++ % seed.length]!;
    for (const share of ['us', 'eu']) {
      for (const partition of ['t:0', 't:1']) {
        for (let epoch = 1; epoch <= epochs; epoch++) {
          const [mask] = take();
          const holders = names.filter((_, index) => (mask & (1 << index)) !== 0);
          for (const cluster of holders.length > 0 ? holders : [names[0]!]) {
            const [, order] = take();
            for (let sequence = 0; sequence < records; sequence++) {
              logs.get(cluster)!.push({ sortKey: order * 1000 + epoch + sequence / 10, copy: { id: { producer: 'job/sink/0', share, epoch, sequence }, partition } });
            }
          }
        }
      }
    }
    // Per cluster and partition, epochs in the drawn order; a share's records stay in sequence order.
    return new Map([...logs].map(([cluster, copies]) => [cluster, copies.sort((x, y) => x.sortKey - y.sortKey).map(({ copy }) => copy)]));
  });

type Step = { readonly kind: 'read'; readonly cluster: number } | { readonly kind: 'checkpoint' } | { readonly kind: 'crash' };

const stepsArbitrary = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 2 }).map((cluster): Step => ({ kind: 'read', cluster })) },
    { weight: 1, arbitrary: fc.constant<Step>({ kind: 'checkpoint' }) },
    { weight: 1, arbitrary: fc.constant<Step>({ kind: 'crash' }) },
  ),
  { maxLength: 200 },
);

interface Delivered {
  readonly copy: Copy;
  readonly cluster: string;
}

/**
 * A reader over the clusters' logs with a checkpoint and crashes: a crash goes back to the last checkpoint's
 * positions, dedup state (through a JSON round trip, as a checkpoint stores it) and output, as exactly-once
 * downstream does. After the steps, every cluster is read to its end.
 */
function run(logs: Map<string, Copy[]>, steps: readonly Step[]): Delivered[] {
  const clusters = [...logs.keys()];
  let positions = new Map(clusters.map((cluster) => [cluster, 0]));
  let dedup = new EpochDedup();
  let output: Delivered[] = [];
  let checkpoint = { positions: new Map(positions), dedup: JSON.stringify(dedup.snapshot()), delivered: 0 };
  const read = (cluster: string): void => {
    const at = positions.get(cluster)!;
    const copy = logs.get(cluster)![at];
    if (copy === undefined) return;
    positions.set(cluster, at + 1);
    if (dedup.accept(copy.id, copy.partition, cluster)) output.push({ copy, cluster });
  };
  for (const step of steps) {
    if (step.kind === 'read') read(clusters[step.cluster % clusters.length]!);
    else if (step.kind === 'checkpoint') checkpoint = { positions: new Map(positions), dedup: JSON.stringify(dedup.snapshot()), delivered: output.length };
    else {
      positions = new Map(checkpoint.positions);
      dedup = new EpochDedup(JSON.parse(checkpoint.dedup) as EpochDedupState);
      output = output.slice(0, checkpoint.delivered);
    }
  }
  for (const cluster of clusters) while (positions.get(cluster)! < logs.get(cluster)!.length) read(cluster);
  return output;
}

describe('EpochDedup', () => {
  it('property: every epoch of every share is delivered exactly once per partition, all of it from one cluster, whatever the interleaving, checkpoints and restores', () => {
    fc.assert(
      fc.property(logsArbitrary, stepsArbitrary, (logs, steps) => {
        const delivered = run(logs, steps);
        const expected = new Map<string, Set<number>>();
        for (const copies of logs.values()) {
          for (const { id, partition } of copies) {
            const key = `${id.share}|${partition}|${id.epoch}`;
            if (!expected.has(key)) expected.set(key, new Set());
            expected.get(key)!.add(id.sequence);
          }
        }
        const seen = new Map<string, { sequences: number[]; clusters: Set<string> }>();
        for (const { copy, cluster } of delivered) {
          const key = `${copy.id.share}|${copy.partition}|${copy.id.epoch}`;
          const entry = seen.get(key) ?? { sequences: [], clusters: new Set() };
          entry.sequences.push(copy.id.sequence);
          entry.clusters.add(cluster);
          seen.set(key, entry);
        }
        expect([...seen.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [key, sequences] of expected) {
          const got = seen.get(key)!;
          expect(got.sequences.sort((x, y) => x - y), key).toEqual([...sequences].sort((x, y) => x - y));
          expect(got.clusters.size, key).toBe(1);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('consecutive epochs from one cluster merge into one interval; another cluster starts a new one', () => {
    const dedup = new EpochDedup();
    const id = (epoch: number): RecordId => ({ producer: 'p', share: 'us', epoch, sequence: 0 });
    for (let epoch = 1; epoch <= 1_000; epoch++) expect(dedup.accept(id(epoch), 't:0', 'us')).toBe(true);
    expect(dedup.accept(id(1_001), 't:0', 'eu')).toBe(true);
    expect(dedup.accept(id(1_001), 't:0', 'us')).toBe(false);
    expect(dedup.accept(id(500), 't:0', 'eu')).toBe(false);
    expect(dedup.snapshot()).toEqual({ 'p|us|t:0': [{ from: 1, to: 1_000, cluster: 'us' }, { from: 1_001, to: 1_001, cluster: 'eu' }] });
    expect(Object.fromEntries(dedup.dropped)).toEqual({ us: 1, eu: 1 });
  });

  it('keeps at most maxIntervals per key: an epoch older than every kept interval counts as new (a possible duplicate, never a loss)', () => {
    const dedup = new EpochDedup(undefined, 2);
    const id = (epoch: number): RecordId => ({ producer: 'p', share: 'us', epoch, sequence: 0 });
    dedup.accept(id(1), 't:0', 'us');
    dedup.accept(id(2), 't:0', 'eu');
    dedup.accept(id(3), 't:0', 'us');
    expect(dedup.snapshot()['p|us|t:0']).toEqual([{ from: 2, to: 2, cluster: 'eu' }, { from: 3, to: 3, cluster: 'us' }]);
    expect(dedup.accept(id(1), 't:0', 'eu')).toBe(true);
  });

  it('state keys name their partition, so a restore at another parallelism keeps only its own', () => {
    expect(EpochDedup.partitionOf('job/sink/0|us|orders.v2:7')).toBe('orders.v2:7');
  });
});

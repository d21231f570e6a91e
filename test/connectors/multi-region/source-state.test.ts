import { describe, expect, it } from 'vitest';
import { ownerOf } from '../../../src/connectors/kafka/source.ts';
import { takeRestoredShare, type MultiClusterSourceState } from '../../../src/connectors/multi-region/source-state.ts';

/** The state old subtasks would hold: each with the partitions ownerOf gives it, at parallelism `old`. */
function oldStates(old: number): MultiClusterSourceState[] {
  return Array.from({ length: old }, (_, subtask) => {
    const mine = (offset: number): Record<string, number> =>
      Object.fromEntries(Array.from({ length: 6 }, (_, partition) => partition).filter((partition) => ownerOf({ topic: 'ev', partition }, old) === subtask).map((partition) => [`ev:${partition}`, offset + partition]));
    return {
      clusters: { us: mine(100), eu: mine(200) },
      retained: { ap: { removedAt: 1_000 + subtask, offsets: mine(300) } },
      dedup: Object.fromEntries(Object.keys(mine(0)).map((key) => [`p|us|${key}`, [{ from: 1, to: 2, cluster: 'us' }]])),
    };
  });
}

describe('takeRestoredShare', () => {
  it.each([
    [2, 3],
    [3, 1],
    [1, 2],
  ])('from parallelism %i to %i: every partition of every cluster (retained too) and its dedup key goes to exactly its new owner', (old, now) => {
    const shares = Array.from({ length: now }, (_, subtask) => takeRestoredShare(oldStates(old), subtask, now));
    for (let partition = 0; partition < 6; partition++) {
      const key = `ev:${partition}`;
      const owner = ownerOf({ topic: 'ev', partition }, now);
      shares.forEach((share, subtask) => {
        const owns = subtask === owner;
        expect(share.clusters.get('us')?.get(key), `us ${key} at ${subtask}`).toBe(owns ? 100 + partition : undefined);
        expect(share.clusters.get('eu')?.get(key)).toBe(owns ? 200 + partition : undefined);
        expect(share.retained.get('ap')?.offsets.get(key)).toBe(owns ? 300 + partition : undefined);
        expect(share.dedup[`p|us|${key}`] !== undefined).toBe(owns);
      });
    }
    // A removed cluster's removal time survives (the latest of the old subtasks').
    for (const share of shares) expect(share.retained.get('ap')?.removedAt).toBe(1_000 + old - 1);
  });
});

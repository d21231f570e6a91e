import type { ClusterMetadata, StreamPlacement } from './cluster-metadata.ts';

/** What changed between two metadata, one line per change, for the log line of the barrier that applies it. */
export function describeMetadataChange(before: ClusterMetadata, after: ClusterMetadata): string[] {
  const changes: string[] = [];
  for (const id of Object.keys(after.clusters)) {
    if (before.clusters[id] === undefined) changes.push(`cluster ${id} added`);
    else if (JSON.stringify(before.clusters[id]) !== JSON.stringify(after.clusters[id])) changes.push(`cluster ${id} changed its connection`);
  }
  for (const id of Object.keys(before.clusters)) if (after.clusters[id] === undefined) changes.push(`cluster ${id} removed`);
  for (const stream of new Set([...Object.keys(before.streams), ...Object.keys(after.streams)])) {
    const was = describePlacements(before.streams[stream]);
    const is = describePlacements(after.streams[stream]);
    if (was !== is) changes.push(`stream ${stream}: ${was} -> ${is}`);
  }
  const migration = (metadata: ClusterMetadata): string =>
    metadata.migration === undefined ? 'none' : `${metadata.migration.from} -> ${metadata.migration.to} (${metadata.migration.phase})`;
  if (migration(before) !== migration(after)) changes.push(`migration: ${migration(before)} -> ${migration(after)}`);
  return changes;
}

function describePlacements(placements: readonly StreamPlacement[] | undefined): string {
  if (placements === undefined) return 'absent';
  return `[${placements.map(({ cluster, topics }) => `${cluster}:${topics.join('+')}`).join(', ')}]`;
}

/** Whether two metadata say the same (providers deliver a change only when it says something new). */
export function sameMetadata(a: ClusterMetadata, b: ClusterMetadata): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

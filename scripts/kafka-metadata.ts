/**
 * Cluster metadata (docs/multi-region.md) for local clusters (src/testing/kafka/broker.ts): what `npm run kafka -- start
 * --metadata FILE` writes for a multi-cluster job to read, and what tests and benchmarks place their streams with.
 */
import { replaceDurably } from '../src/core/durable-fs.ts';
import type { ClusterMetadata, StreamPlacement } from '../src/connectors/multi-region/cluster-metadata.ts';
import { parseClusterMetadata } from '../src/connectors/multi-region/metadata-validation.ts';
import type { Cluster } from '../src/testing/kafka/broker.ts';

/** The ids local clusters go by, in index order: regions, as a user would name them. */
export const CLUSTER_IDS = ['us-east', 'eu-west', 'ap-south'] as const;

/** Cluster `index`'s id: a region of CLUSTER_IDS, then `region-<index>`. */
export function clusterId(index: number): string {
  return CLUSTER_IDS[index] ?? `region-${index}`;
}

/**
 * Metadata naming each cluster by its id, with `streams` as given (stream -> placements); by default every topic is a
 * stream of its own name on every cluster, in index order (the first cluster is a failover sink's primary).
 */
export function localMetadata(clusters: readonly Cluster[], streams: Readonly<Record<string, readonly StreamPlacement[]>>): ClusterMetadata {
  const metadata = {
    clusters: Object.fromEntries(clusters.map((cluster) => [clusterId(cluster.index), { brokers: [cluster.address] }])),
    streams,
  };
  return parseClusterMetadata(metadata, 'the local clusters');
}

/** Every topic as a stream of the same name, placed on every cluster in index order. */
export function streamPerTopic(clusters: readonly Cluster[], topics: readonly string[]): Record<string, StreamPlacement[]> {
  return Object.fromEntries(topics.map((topic) => [topic, onEvery(clusters, topic)]));
}

/** The topic on every cluster, in index order: a stream's placements. */
export function onEvery(clusters: readonly Cluster[], topic: string): StreamPlacement[] {
  return clusters.map((cluster) => ({ cluster: clusterId(cluster.index), topics: [topic] }));
}

/** Writes the metadata as JSON, replacing the file in one rename (a job watching it never reads half a file). */
export async function writeMetadataFile(path: string, metadata: ClusterMetadata): Promise<void> {
  await replaceDurably(path, `${JSON.stringify(metadata, null, 2)}\n`);
}

import { describe, expect, it } from 'vitest';
import { clusterMetadata, MultiClusterKafkaSource } from '../../../src/kafka.ts';
import type { SinkContext } from '../../../src/connectors/sink.ts';
import { METADATA_STATUS, type MetadataStatus } from '../../../src/connectors/multi-region/metadata-status.ts';
import { SinkClusters } from '../../../src/connectors/multi-region/sink-clusters.ts';

/** Nothing listens there: the subtasks report the metadata they loaded whether or not a cluster answers. */
const NOWHERE = '127.0.0.1:9';

const metadata = clusterMetadata.static({
  clusters: { 'us-east': { brokers: [NOWHERE] }, 'eu-west': { brokers: [NOWHERE] } },
  streams: { ratings: [{ cluster: 'us-east', topics: ['ratings'] }, { cluster: 'eu-west', topics: ['ratings'] }] },
});

function reporter(): { statuses: MetadataStatus[]; report: (kind: string, status: unknown) => void } {
  const statuses: MetadataStatus[] = [];
  return { statuses, report: (kind, status) => void (kind === METADATA_STATUS && statuses.push(status as MetadataStatus)) };
}

describe('multi-cluster subtasks report the cluster metadata they applied (what weir migrate waits for)', () => {
  it('a source subtask reports its stream, role and placements at start', async () => {
    const { statuses, report } = reporter();
    const source = MultiClusterKafkaSource.json<unknown>({ stream: 'ratings', metadata, groupId: 'scores' });
    const reader = source.createReader({ jobName: 'j', operatorName: 'src', subtaskIndex: 0, parallelism: 1, threadId: 0, reportStatus: report });
    try {
      await reader.open?.();
      expect(statuses).toEqual([{ stream: 'ratings', role: 'source', placements: ['us-east', 'eu-west'] }]);
    } finally {
      await reader.close?.();
    }
  });

  it('a sink subtask reports its stream, role and placements at start, before any cluster answers', async () => {
    const { statuses, report } = reporter();
    const ctx = { jobName: 'j', operatorName: 'sink', subtaskIndex: 1, parallelism: 2, threadId: 0, reportStatus: report, jobId: 'j', operatorId: 'sink' } as unknown as SinkContext;
    const clusters = new SinkClusters({ stream: 'ratings', metadata, mode: 'failover', failback: true, failbackAfterMs: 1_000, healthCheckIntervalMs: 1_000, callTimeoutMs: 500 }, ctx);
    try {
      await expect(clusters.start()).rejects.toThrow(/no Kafka cluster of stream 'ratings' answered/);
      expect(statuses).toEqual([{ stream: 'ratings', role: 'sink', placements: ['us-east', 'eu-west'] }]);
    } finally {
      await clusters.release();
    }
  });
});

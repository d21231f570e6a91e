import { describe, expect, it } from 'vitest';
import type { SinkContext } from '../../../src/connectors/sink.ts';
import { EpochLogs } from '../../../src/connectors/kafka/epoch-writer.ts';
import type { TransactionalPublisher } from '../../../src/connectors/kafka/transactional-publisher.ts';
import { ShareCommitter } from '../../../src/connectors/multi-region/share-committer.ts';
import type { SinkCluster } from '../../../src/connectors/multi-region/sink-cluster.ts';
import type { SinkClusters } from '../../../src/connectors/multi-region/sink-clusters.ts';

/**
 * A cluster as the committer uses it, recording the transactional ids taken over on it. Taking an id over is what ends
 * a transaction a killed process left open under it; the real takeover is covered against Kafka by
 * test/integration/multi-cluster-sink.test.ts and the fault harness.
 */
function fakeCluster(id: string, usable: boolean) {
  const takenOver: string[] = [];
  const cluster = {
    id,
    topic: 'scores',
    usable,
    adminCall: async () => 60_000,
    publisher: async (settings: { transactionalId: string }) => {
      takenOver.push(settings.transactionalId);
      return { transactionalId: settings.transactionalId, committedThrough: 0 } as unknown as TransactionalPublisher;
    },
    markUnreachable: () => {},
  };
  return { cluster, takenOver };
}

function committerOver(clusters: ReturnType<typeof fakeCluster>[]): ShareCommitter {
  const all = clusters.map(({ cluster }) => cluster as unknown as SinkCluster);
  const sinkClusters = { start: async () => {}, all: () => all, candidates: () => all, report: () => {}, release: async () => {} } as unknown as SinkClusters;
  const ctx = { subtaskIndex: 1, jobId: 'job', operatorId: 'op', checkpointIntervalMs: 100 } as unknown as SinkContext;
  const settings = { transactionalIdPrefix: 'weir-job-op', transactionTimeoutMs: 60_000, publishTimeoutMs: 1_000, takeoverTimeoutMs: 1_000, retryWaitMs: 10 };
  return new ShareCommitter(settings, ctx, 0, new EpochLogs(), sinkClusters);
}

describe('multi-cluster sink committer: transactional ids on every cluster', () => {
  it('takes over the subtask id of every share on a cluster that did not answer at start once it answers, once', async () => {
    const east = fakeCluster('us-east', true);
    const west = fakeCluster('eu-west', false);
    const committer = committerOver([east, west]);

    await committer.open();
    expect(east.takenOver).toEqual(['weir-job-op-1@us-east', 'weir-job-op-1@eu-west']);
    expect(west.takenOver).toEqual([]);

    // Still down at the next publish: nothing to take over yet.
    await committer.commit([]);
    expect(west.takenOver).toEqual([]);

    west.cluster.usable = true;
    await committer.commit([]);
    await new Promise((resolve) => setImmediate(resolve)); // the takeovers run in the background
    expect(west.takenOver).toEqual(['weir-job-op-1@eu-west', 'weir-job-op-1@us-east']);

    // Taken over already in this run: not again, nor on the cluster that answered at start.
    await committer.commit([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(west.takenOver).toHaveLength(2);
    expect(east.takenOver).toHaveLength(2);
  });
});

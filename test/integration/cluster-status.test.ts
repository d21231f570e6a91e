import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runJob } from 'weir/testing';
import type { ClustersView } from '../../src/connectors/multi-region/cluster-view.ts';

const JOB = fileURLToPath(new URL('../fixtures/cluster-status-job.ts', import.meta.url));
const METADATA = {
  clusters: { a: { brokers: ['a:9092'] }, b: { brokers: ['b:9092'] } },
  streams: { ratings: [{ cluster: 'a', topics: ['ratings'] }], scores: [{ cluster: 'a', topics: ['scores'] }, { cluster: 'b', topics: ['scores'] }] },
};

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const everySubtaskReported = (view: ClustersView): boolean =>
  view.operators.length === 2 &&
  view.operators.every((operator) => operator.subtasks.length === 2 && operator.subtasks.every((subtask) => subtask.clusters.length > 0 && subtask.metadata !== undefined)) &&
  view.operators.some((operator) => operator.clusters.some((cluster) => cluster.lagAtCheckpoint !== undefined)) &&
  view.operators.some((operator) => operator.clusters.some((cluster) => (cluster.epochsPublished ?? 0) > 0));

describe('connector statuses reach the job process (RuntimeContext.reportStatus)', () => {
  it('serves both subtasks of a parallelism-2 source and sink in /clusters and as weir_kafka_cluster_* metrics', { timeout: 120_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-cluster-status-'));
    const metadata = join(dir, 'clusters.json');
    await writeFile(metadata, JSON.stringify(METADATA));
    let base: string | undefined;
    const stop = new AbortController();
    const running = runJob({
      jobModule: JOB,
      parallelism: 2,
      params: { metadata },
      metricsPort: 0,
      savepointDir: join(dir, 'savepoints'),
      stopWithSavepoint: stop.signal,
      onStatus: (line) => (base ??= /^metrics at (http:\/\/[^/]+)\/metrics$/.exec(line)?.[1]),
    });
    let finished = false;
    void running.finally(() => (finished = true)).catch(() => {});
    let view: ClustersView | undefined;
    let metrics = '';
    try {
      // Until every subtask has reported (or a deadline: the assertions below then say what is missing).
      const deadline = Date.now() + 90_000;
      while (!finished && Date.now() < deadline && (view === undefined || !everySubtaskReported(view))) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        if (base === undefined) continue;
        view = (await fetch(`${base}/clusters`).then((response) => response.json())) as ClustersView;
      }
      metrics = await fetch(`${base}/metrics`).then((response) => response.text());
    } finally {
      stop.abort();
    }
    const result = await running;
    expect(result.stopped?.savepoint).toBeDefined();
    expect(view !== undefined && everySubtaskReported(view)).toBe(true);

    const source = view!.operators.find((operator) => operator.role === 'source')!;
    const sink = view!.operators.find((operator) => operator.role === 'sink')!;
    expect(view!.job).toBe('cluster-status');
    expect(source).toMatchObject({ operator: 'ratings-source', parallelism: 2, stream: 'ratings' });
    expect(source.subtasks.map((subtask) => subtask.subtask)).toEqual([0, 1]);
    expect(source.clusters).toEqual([
      expect.objectContaining({ cluster: 'a', role: 'source', reachable: true, subtasks: 2, lagRecords: 0, lagAtCheckpoint: expect.objectContaining({ lagRecords: 0, partitions: 2 }) }),
    ]);
    expect(sink).toMatchObject({ operator: 'scores-sink', parallelism: 2, stream: 'scores' });
    expect(sink.clusters.map((cluster) => [cluster.cluster, cluster.receiving, cluster.subtasks])).toEqual([
      ['a', true, 2],
      ['b', false, 2],
    ]);
    expect(sink.subtasks.every((subtask) => subtask.metadata?.placements.join(',') === 'a,b')).toBe(true);

    for (const subtask of ['0', '1']) {
      expect(metrics).toMatch(new RegExp(`^weir_kafka_cluster_reachable\\{job="cluster-status",operator="ratings-source",subtask="${subtask}",cluster="a",role="source"\\} 1$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^weir_kafka_cluster_lag_records\\{job="cluster-status",operator="ratings-source",subtask="${subtask}",cluster="a",role="source"\\} 0$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^weir_kafka_cluster_reachable\\{job="cluster-status",operator="scores-sink",subtask="${subtask}",cluster="b",role="sink"\\} 1$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^weir_kafka_cluster_failovers_total\\{job="cluster-status",operator="scores-sink",subtask="${subtask}",cluster="a",role="sink"\\} 0$`, 'm'));
    }
    expect(metrics).toMatch(/^weir_kafka_cluster_epochs_published_total\{job="cluster-status",operator="scores-sink",subtask="\d",cluster="a",role="sink"\} [1-9]\d*$/m);
    // A source reports no epochs, a sink no lag.
    expect(metrics).not.toMatch(/^weir_kafka_cluster_lag_records\{[^}]*role="sink"/m);
    expect(metrics).not.toMatch(/^weir_kafka_cluster_epochs_published_total\{[^}]*role="source"/m);
  });
});

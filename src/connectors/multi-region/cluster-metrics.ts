import { Counter, Gauge, type Registry } from 'prom-client';
import type { ClusterHealth } from './cluster-health.ts';
import type { ClustersView } from './cluster-view.ts';

const LABELS = ['job', 'operator', 'subtask', 'cluster', 'role'] as const;

/**
 * `weir_kafka_cluster_*`: each multi-cluster source or sink subtask's health per cluster, from the 'clusters' status
 * it last reported, read at scrape time. Source subtasks give the lag, sink subtasks the epochs and failovers.
 */
export function registerClusterMetrics(registry: Registry, view: () => ClustersView): void {
  const series = (pick: (health: ClusterHealth) => number | undefined): { labels: Record<(typeof LABELS)[number], string>; value: number }[] => {
    const { job, operators } = view();
    return operators.flatMap((operator) =>
      operator.subtasks.flatMap((subtask) =>
        subtask.clusters.flatMap((health) => {
          const value = pick(health);
          if (value === undefined) return [];
          const labels = { job: job ?? '', operator: operator.operator, subtask: String(subtask.subtask), cluster: health.cluster, role: health.role };
          return [{ labels, value }];
        }),
      ),
    );
  };
  // Values are read whole at each scrape, so a counter is reset and set like a gauge (inc from zero).
  const metric = (kind: 'gauge' | 'counter', name: string, help: string, pick: (health: ClusterHealth) => number | undefined): void => {
    const options = { name, help, labelNames: LABELS, registers: [registry] };
    if (kind === 'gauge') {
      new Gauge({ ...options, collect() { this.reset(); for (const { labels, value } of series(pick)) this.set(labels, value); } });
    } else {
      new Counter({ ...options, collect() { this.reset(); for (const { labels, value } of series(pick)) this.inc(labels, value); } });
    }
  };
  metric('gauge', 'weir_kafka_cluster_reachable', "1 when the subtask's last call to the cluster answered within its timeout, else 0", (health) => (health.reachable ? 1 : 0));
  metric('gauge', 'weir_kafka_cluster_lag_records', "Records behind the end of the source subtask's partitions of the cluster", (health) => health.lagRecords);
  metric('counter', 'weir_kafka_cluster_epochs_published_total', "Epochs whose share the sink subtask published on the cluster", (health) => health.epochsPublished);
  metric('counter', 'weir_kafka_cluster_failovers_total', 'Times the sink subtask moved epochs away from the cluster (a failed publish or health check)', (health) => health.failovers);
}

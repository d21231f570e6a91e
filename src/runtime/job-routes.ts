import type { Registry } from 'prom-client';
import { jsonAnswer, type Route } from '../observe/http-server.ts';
import { dashboardRoutes } from '../observe/dashboard-routes.ts';
import { clustersView, type ClustersView } from '../connectors/multi-region/cluster-view.ts';
import { registerClusterMetrics } from '../connectors/multi-region/cluster-metrics.ts';
import { CLUSTERS_STATUS, METADATA_STATUS } from '../connectors/multi-region/metadata-status.ts';
import type { JobStatus } from './job-status.ts';
import type { JobControl } from './job-control.ts';
import { controlRoutes } from './routes/control-routes.ts';
import { jobRoute } from './routes/job-route.ts';
import type { JobObservations } from './observations.ts';
import { registerJobMetrics } from './job-metrics.ts';
import { registerJobStateMetrics } from './job-state-metrics.ts';
import { observationRoutes } from './routes/observation-routes.ts';
import { healthRoute } from './routes/health-route.ts';
import { JobHealth } from './health/job-health.ts';

/** The multi-cluster view of what the job's subtasks reported. */
export function clustersOf(status: JobStatus): ClustersView {
  return clustersView(status.job, status.operators, status.ofKind(CLUSTERS_STATUS), status.ofKind(METADATA_STATUS));
}

/**
 * The job's JSON routes beside /metrics (its REST API: docs/operations.md), the web dashboard that reads them, and the
 * metrics drawn from the same statuses. One line per route file.
 */
export function jobRoutes(registry: Registry, status: JobStatus, observations: JobObservations, control: JobControl): Route[] {
  registerClusterMetrics(registry, () => clustersOf(status));
  registerJobMetrics(registry, observations);
  registerJobStateMetrics(registry, observations);
  const health = new JobHealth(observations);
  return [
    {
      method: 'GET',
      path: '/clusters',
      description: 'multi-cluster Kafka sources and sinks: per operator and cluster, reachability, lag, epochs, failovers, migration phase',
      answer: () => jsonAnswer(clustersOf(status)),
    },
    jobRoute(control, observations, health),
    ...controlRoutes(control),
    ...observationRoutes(observations),
    healthRoute(registry, observations, health),
    ...dashboardRoutes(),
  ];
}

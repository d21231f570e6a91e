import type { Registry } from 'prom-client';
import { jsonAnswer, type Route } from '../../observe/http-server.ts';
import type { JobObservations } from '../observations.ts';
import { scrapedFamily } from '../metric-families.ts';
import type { JobHealth } from '../health/job-health.ts';

/**
 * `GET /job/health`: the job's health score and its components, each with the reason it costs points
 * (docs/operations.md, "Health score"); and the same numbers as metrics (`weir_health_score`,
 * `weir_health_component_score{component}`), read at scrape time.
 */
export function healthRoute(registry: Registry, observations: JobObservations, health: JobHealth): Route {
  const job = (): string => observations.snapshot().job.name ?? '';
  scrapedFamily(registry, 'gauge', 'weir_health_score', "The job's health score, 0-100 (GET /job/health gives each component's reason)", ['job'], () => [{ labels: { job: job() }, value: health.report().score }]);
  scrapedFamily(registry, 'gauge', 'weir_health_component_score', 'One component of the health score, 0-100 (GET /job/health gives its weight and reason)', ['job', 'component'], () =>
    health.report().components.map((component) => ({ labels: { job: job(), component: component.name }, value: component.score })),
  );
  return {
    method: 'GET',
    path: '/job/health',
    description: 'the health score (0-100) and its components: backpressure, checkpoint age and failures, restarts, Kafka lag trend, watermark skew, dead letters; each with its score, weight, value, threshold and reason',
    answer: () => jsonAnswer(health.report()),
  };
}

// The shapes of the job's JSON routes, for the dashboard's type check (tsconfig.json here): the routes' own types.
// The package ships the dashboard's .js, .html and .css only; this file is for the repository's `npm test`.
export type { GraphObservation, VertexObservation, EdgeObservation, WatermarkObservation } from '../src/runtime/observation-types.ts';
export type { JobView } from '../src/runtime/routes/job-route.ts';
export type { HealthReport } from '../src/runtime/health/health-score.ts';
export type { CheckpointsAnswer, KafkaLagAnswer, DeadLettersAnswer } from '../src/runtime/routes/observation-routes.ts';

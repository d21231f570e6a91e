import { StreamExecutionEnvironment } from './environment.ts';
import { JobDefinitionError, WeirError, describeError } from '../core/errors.ts';

export interface JobOptions {
  readonly name: string;
}

/**
 * A job: a name and a function that builds its dataflow. The builder runs once on the coordinator and once in every
 * worker thread, so it must build the same graph each time (no randomness, no I/O); `params` is the same JSON value everywhere.
 */
export interface JobDefinition<P = unknown> {
  readonly kind: 'weir.job';
  readonly name: string;
  readonly build: (env: StreamExecutionEnvironment, params: P) => void;
}

export function defineJob<P = undefined>(
  options: JobOptions,
  build: (env: StreamExecutionEnvironment, params: P) => void,
): JobDefinition<P> {
  if (typeof options?.name !== 'string' || options.name.length === 0) throw new JobDefinitionError('defineJob needs a non-empty name');
  if (typeof build !== 'function') throw new JobDefinitionError('defineJob needs a function that builds the pipeline');
  return { kind: 'weir.job', name: options.name, build };
}

/** Structural check, not instanceof: the coordinator and the workers may load weir through different module loaders. */
export function isJobDefinition(value: unknown): value is JobDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'weir.job' &&
    typeof (value as { build?: unknown }).build === 'function'
  );
}

/** Runs the job's builder on a fresh environment. */
export function buildJob(job: JobDefinition, params: unknown): StreamExecutionEnvironment {
  const env = new StreamExecutionEnvironment();
  try {
    job.build(env, params);
  } catch (error) {
    // weir's own refusals (a bad parallelism, a bad window) say what is wrong already; anything else is the user's code.
    if (error instanceof WeirError) throw error;
    throw new JobDefinitionError(`the builder of job '${job.name}' threw: ${describeError(error)}`, { cause: error });
  }
  if (env.graph.nodes.length === 0) throw new JobDefinitionError(`job '${job.name}' defines no sources or operators`);
  return env;
}

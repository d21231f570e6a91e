import { StreamExecutionEnvironment } from './environment.ts';
import { JobDefinitionError, WeirError, describeError } from '../core/errors.ts';

export interface JobOptions {
  readonly name: string;
}

/**
 * What a builder may return: nothing, or whatever its last expression gives (a stream, say), but not a Promise. An
 * object with `then` is refused so that an `async` builder fails to compile (weir needs the graph when it returns).
 */
export type BuilderResult = void | NotAPromise;

/** Any value without a `then` (every object has `valueOf`, which keeps this type from matching nothing but `{}`). */
export interface NotAPromise {
  readonly then?: never;
  readonly valueOf: unknown;
}

/**
 * Builds a job's dataflow on `env`. `params` is what `--params` (or `runJob`'s `params`) gave, which may leave any
 * field out: it is `{}` when none were given, never undefined, so `params.events ?? 1_000` is how to read one.
 */
export type JobBuilder<P extends object> = (env: StreamExecutionEnvironment, params: Partial<P>) => BuilderResult;

/**
 * A job: a name and a function that builds its dataflow. The builder runs once on the coordinator and once in every
 * worker thread, so it must build the same graph each time (no randomness, no I/O); `params` is the same JSON value everywhere.
 */
export interface JobDefinition<P extends object = object> {
  readonly kind: 'weir.job';
  readonly name: string;
  readonly build: JobBuilder<P>;
}

/**
 * Defines a job. `P` is the shape of its params, a JSON object given with `--params` (or `runJob`'s `params`): the
 * builder receives `Partial<P>`, since a user may leave out any field or `--params` altogether (then `{}`), so each
 * field is read with its default, as `params.demoRatings ?? 0`. A field the job cannot do without is checked in the
 * builder, with an error that says so.
 *
 * The builder must be synchronous: it runs on the coordinator and in every worker thread, and weir takes the graph
 * as it stands when the builder returns. An `async` builder fails to compile and is refused at run time; do I/O
 * in a source or in a function's `open()`.
 */
export function defineJob<P extends object = object>(options: JobOptions, build: JobBuilder<P>): JobDefinition<P> {
  if (typeof options?.name !== 'string' || options.name.length === 0) throw new JobDefinitionError('defineJob needs a non-empty name');
  if (typeof build !== 'function') throw new JobDefinitionError('defineJob needs a function that builds the pipeline');
  return { kind: 'weir.job', name: options.name, build };
}

function isAsyncFunction(fn: unknown): boolean {
  const kind = (fn as { constructor?: { name?: unknown } }).constructor?.name;
  return kind === 'AsyncFunction' || kind === 'AsyncGeneratorFunction';
}

function asyncBuilderMessage(job: string, what: string): string {
  return (
    `the builder of job '${job}' ${what}: it must build the graph synchronously, because weir runs it on the ` +
    'coordinator and in every worker thread and takes the graph as it stands when the builder returns. ' +
    "Do I/O in a source or in a function's open(), not in the builder"
  );
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

/** The params a builder receives: the given JSON object, or `{}` when none was given. */
function jobParams(job: JobDefinition, params: unknown): object {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) {
    throw new JobDefinitionError(`job '${job.name}' takes its params as a JSON object (--params '{"name":value}'), got ${JSON.stringify(params)}`);
  }
  return params;
}

/** Runs the job's builder on a fresh environment. */
export function buildJob(job: JobDefinition, params: unknown): StreamExecutionEnvironment {
  if (isAsyncFunction(job.build)) throw new JobDefinitionError(asyncBuilderMessage(job.name, 'is an async function'));
  const env = new StreamExecutionEnvironment();
  const jobParameters = jobParams(job, params);
  let built: unknown;
  try {
    built = job.build(env, jobParameters);
  } catch (error) {
    // weir's own refusals (a bad parallelism, a bad window) say what is wrong already; anything else is the user's code.
    if (error instanceof WeirError) throw error;
    throw new JobDefinitionError(`the builder of job '${job.name}' threw: ${describeError(error)}`, { cause: error });
  }
  if (typeof (built as { then?: unknown } | undefined)?.then === 'function') {
    // Whatever the promise does later cannot change the graph: say so now, and keep its rejection from going unhandled.
    (built as PromiseLike<unknown>).then(undefined, () => {});
    throw new JobDefinitionError(asyncBuilderMessage(job.name, 'returned a Promise'));
  }
  if (env.graph.nodes.length === 0) throw new JobDefinitionError(`job '${job.name}' defines no sources or operators`);
  return env;
}

import type { DataStream } from '../api/data-stream.ts';
import type { OperatorNode } from '../api/graph.ts';
import type { StreamOperator } from '../operators/operator.ts';
import { StreamExecutionEnvironment } from '../api/environment.ts';
import { planJob, plannedNode, type PlannedNode } from '../runtime/planner.ts';
import { JobDefinitionError } from '../core/errors.ts';

/** Builds the operator under test from the harness's input stream, as a job's builder would: `(input) => input.map(fn)`. */
export type HarnessBuilder<I, O> = (input: DataStream<I>) => DataStream<O>;

/** The settings of the job the operator is taken from. */
export interface HarnessJobSettings {
  readonly maxParallelism?: number;
  readonly stateCacheEntries?: number;
}

/** The one operator a harness runs, built and planned as the runtime builds and plans it. */
export interface BuiltOperator {
  readonly planned: PlannedNode;
  readonly operator: StreamOperator;
  readonly keyed: boolean;
  readonly maxParallelism: number;
  readonly stateCacheEntries: number;
}

const HARNESS_INPUT = 0;

/**
 * Runs `build` on a stream of a job environment and takes the operator it added: the same factory, with the same
 * choices (trigger defaults, sliced windows, state layout) that the job's own builder makes. Exactly one one-input,
 * non-sink operator may be added.
 */
export function buildOperator<I, O>(build: HarnessBuilder<I, O>, settings: HarnessJobSettings): BuiltOperator {
  if (typeof build !== 'function') throw new TypeError('the operator harness needs a function that builds the operator from its input stream');
  const env = new StreamExecutionEnvironment();
  if (settings.maxParallelism !== undefined) env.setMaxParallelism(settings.maxParallelism);
  if (settings.stateCacheEntries !== undefined) env.setStateCacheEntries(settings.stateCacheEntries);
  // The input's records come from the harness, never from this source: it is there so that the graph is a job's.
  build(env.fromCollection<I>([]));
  const added = env.graph.nodes.slice(HARNESS_INPUT + 1);
  const operators = added.filter((node): node is OperatorNode => node.kind === 'operator');
  if (operators.length !== 1 || added.length !== 1) {
    const names = added.map((node) => `'${node.name}'`).join(', ');
    throw new JobDefinitionError(
      `the operator harness tests one operator on its input, but the builder added ${added.length === 0 ? 'none' : names}: ` +
        'test each operator in its own harness, or the whole pipeline with runJob',
    );
  }
  const node = operators[0]!;
  if (node.isSink) throw new JobDefinitionError(`the operator harness does not run sinks ('${node.name}'): test a sink with runJob`);
  const [input, ...others] = node.inputs;
  if (input === undefined || others.length > 0 || input.from !== HARNESS_INPUT || input.sideOutput !== undefined) {
    throw new JobDefinitionError(`the operator harness runs operators of one input, the harness's stream; '${node.name}' reads another`);
  }
  const plan = planJob(env, { defaultParallelism: 1 });
  return {
    planned: plannedNode(plan, node.id),
    operator: node.createOperator(),
    keyed: node.keySelector !== undefined,
    maxParallelism: plan.maxParallelism,
    stateCacheEntries: plan.stateCacheEntries,
  };
}

import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { DataStream } from '../api/data-stream.ts';
import type { OperatorNode } from '../api/graph.ts';
import type { OperatorContext, RecordTime, StreamOperator } from '../operators/operator.ts';
import type { ProcessingTimeService } from '../state/timers.ts';
import { LmdbKeyedStateBackend } from '../state/lmdb-backend.ts';
import { restoreKeyedSnapshot } from '../checkpoint/keyed-snapshot.ts';
import { operatorFailure } from '../runtime/chain.ts';
import { HarnessSnapshot } from './harness-snapshot.ts';
import { StreamExecutionEnvironment } from '../api/environment.ts';
import { planJob, plannedNode, type PlannedNode } from '../runtime/planner.ts';
import { JobDefinitionError, WeirError } from '../core/errors.ts';

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

/** What the harness's operator runs with besides its build: the harness's clock, record time and directory. */
export interface HarnessSurroundings {
  readonly dir: string;
  readonly clock: ProcessingTimeService;
  readonly time: RecordTime;
  readonly jobName: string;
  readonly restore: HarnessSnapshot | undefined;
}

/** A snapshot restores only into the operator (and key groups) it was taken of, as a job's restore maps state by operator id. */
export function checkRestorable(snapshot: HarnessSnapshot, built: BuiltOperator): void {
  if (!(snapshot instanceof HarnessSnapshot)) throw new TypeError('restore takes a snapshot that OperatorHarness.snapshot() returned');
  const { operatorId } = built.planned;
  if (snapshot.operatorId !== operatorId) {
    throw new WeirError(
      `the snapshot is of operator '${snapshot.operatorId}', not '${operatorId}': a job restores state only into the operator with the same id (give both the same uid)`,
    );
  }
  if (snapshot.maxParallelism !== built.maxParallelism) {
    throw new WeirError(
      `the snapshot was taken with max parallelism ${snapshot.maxParallelism}, this harness has ${built.maxParallelism}: keyed state restores only into the same`,
    );
  }
}

/**
 * The keyed state of a keyed operator, as a subtask opens it: LMDB in the harness's directory, every key group
 * restored from the snapshot when there is one, TTL on the harness's clock.
 */
export async function openHarnessState(built: BuiltOperator, around: HarnessSurroundings): Promise<LmdbKeyedStateBackend | undefined> {
  if (!built.keyed) return undefined;
  const backend = await LmdbKeyedStateBackend.open({
    path: join(around.dir, 'state'),
    maxParallelism: built.maxParallelism,
    cacheEntries: built.stateCacheEntries,
    clock: () => around.clock.now(),
  });
  const restore = around.restore;
  if (restore?.keyed === undefined) return backend;
  try {
    const chain = [{ checkpointId: restore.checkpointId, file: restore.keyed }];
    await restoreKeyedSnapshot(backend, restore.files, chain, { start: 0, end: built.maxParallelism });
  } catch (error) {
    await backend.close();
    throw error;
  }
  return backend;
}

/** The operator's context, as the chain gives it to an operator of subtask 1 of its parallelism. */
export function harnessContext(built: BuiltOperator, around: HarnessSurroundings, keyedState: LmdbKeyedStateBackend | undefined): OperatorContext {
  const { planned } = built;
  const restore = around.restore;
  return {
    jobName: around.jobName,
    operatorName: planned.name,
    operatorId: planned.operatorId,
    subtaskIndex: 0,
    parallelism: planned.parallelism,
    threadId,
    keyedState,
    time: around.time,
    processingTime: around.clock,
    fail: (cause, record) => operatorFailure(planned, 0, cause, record),
    restored:
      restore === undefined
        ? undefined
        : {
            checkpointId: restore.checkpointId,
            states: restore.operatorState === undefined ? [] : [restore.operatorState],
            readFile: restore.files.reader(restore.checkpointId),
          },
    scratchDir: join(around.dir, 'scratch'),
    checkpointing: false,
    jobId: 'harness',
    runId: 'harness',
    instanceId: 'harness',
    checkpointIntervalMs: undefined,
  };
}

import type { MessagePort } from 'node:worker_threads';
import type { StreamExecutionEnvironment } from '../../api/environment.ts';
import type { InputChannel, OutputChannel } from '../channels/channel.ts';
import type { PhysicalPlan } from '../planner.ts';
import type { StatsBoard } from '../stats-board.ts';
import { plannedNode } from '../planner.ts';
import { type ChannelSpec, type Deployment, subtasksOfWorker } from '../deployment.ts';
import { LocalChannel } from '../channels/local-channel.ts';
import { RemoteInputChannel, RemoteOutputChannel } from '../channels/remote-channel.ts';
import { RecordWriter } from '../record-writer.ts';
import { OperatorChain, operatorFailure } from '../chain.ts';
import { InputGate } from '../input-gate.ts';
import { InputSubtask, SourceSubtask, type Subtask, type SubtaskCheckpointing } from '../subtask.ts';
import { SubtaskCheckpoints, type CheckpointReporter } from '../subtask-checkpoints.ts';
import { operatorStatesFor, restoredFileOf, restoresFinished, storageAt, taskName, type RestorePoint } from '../../checkpoint/snapshot-state.ts';
import { CorruptCheckpointError, type StoredFile } from '../../checkpoint/storage.ts';
import { join } from 'node:path';
import type { OperatorContext } from '../../operators/operator.ts';
import type { PlannedNode } from '../planner.ts';
import { ProcessingTimeScheduler } from '../processing-time.ts';
import { openKeyedState } from './keyed-state.ts';
import type { RecordTime } from '../../operators/operator.ts';
import { type WatermarkStrategy } from '../../api/watermark-strategy.ts';
import type { SourceWatermarkBoard, WatermarkAlignment } from '../watermark-alignment.ts';
import { NO_TIMESTAMP } from '../../core/time.ts';

export interface BuildContext {
  readonly env: StreamExecutionEnvironment;
  readonly plan: PhysicalPlan;
  readonly deployment: Deployment;
  readonly stats: StatsBoard;
  readonly sourceWatermarks: SourceWatermarkBoard;
  readonly jobName: string;
  /** The job id: checkpoints and transactional ids are named by it. */
  readonly jobId: string;
  /** Names the run's output (see SinkContext). */
  readonly runId: string;
  readonly instanceId: string;
  readonly worker: number;
  readonly ports: Record<string, MessagePort>;
  /** This attempt's directory for keyed state (one LMDB environment per keyed operator subtask). */
  readonly stateDir: string;
  readonly restore: RestorePoint | undefined;
  readonly checkpointing: boolean;
  /** Where a subtask's checkpoint answers go; `task` names the subtask for the coordinator. */
  reporter(task: string): CheckpointReporter;
  /** A subtask read all its input and waits for its release. */
  onSubtaskFinished(task: string): void;
  /** Where operator subtasks' statuses go (RuntimeContext.reportStatus). */
  reportStatus(planned: PlannedNode, subtask: number, kind: string, status: unknown): void;
}

function restoredStateOf(ctx: BuildContext, planned: PlannedNode, subtask: number): OperatorContext['restored'] {
  const restore = ctx.restore;
  const operator = restore?.state.operators[planned.operatorId];
  if (restore === undefined || operator === undefined) return undefined;
  const readFile = (file: StoredFile): AsyncIterable<Uint8Array> => {
    const found = restoredFileOf(restore, file);
    if (found === undefined) throw new CorruptCheckpointError(restore.checkpointId, `its state names ${file.path}, which it does not list among its files`);
    return storageAt(restore.target).readChunks(restore.checkpointId, found);
  };
  return { checkpointId: restore.checkpointId, states: operatorStatesFor(operator, subtask, planned.parallelism), readFile };
}

/** Every old reader's position, for a source restoring from a checkpoint; undefined for a fresh start. */
function restoredSourcePositions(ctx: BuildContext, planned: PlannedNode): unknown[] | undefined {
  const operator = ctx.restore?.state.operators[planned.operatorId];
  if (operator === undefined) return undefined;
  return operator.subtasks.filter((subtask) => subtask.source !== undefined).map((subtask) => subtask.source);
}

function vertexRestoresFinished(ctx: BuildContext, nodes: readonly PlannedNode[], index: number): boolean {
  return nodes.every((planned) => {
    const operator = ctx.restore?.state.operators[planned.operatorId];
    return operator !== undefined && restoresFinished(operator, index, planned.parallelism);
  });
}

export interface BuiltSubtask {
  readonly name: string;
  readonly runner: Subtask;
  open(): Promise<void>;
  /** Closes the operator chain if the run did not (idempotent). */
  close(): Promise<void>;
  closeChannels(): void;
}

/** The subtask's part in its source's watermark alignment group, if the strategy asks for one. */
function alignmentOf(ctx: BuildContext, strategy: WatermarkStrategy<unknown> | undefined, vertexId: number, subtask: number): WatermarkAlignment | undefined {
  return strategy?.alignment === undefined ? undefined : ctx.sourceWatermarks.alignmentOf(ctx.env, vertexId, subtask, strategy.alignment);
}

function portFor(ctx: BuildContext, spec: ChannelSpec): MessagePort {
  const port = ctx.ports[spec.key];
  if (port === undefined) throw new Error(`worker ${ctx.worker} did not receive the port of channel ${spec.key}`);
  return port;
}

/** Creates both ends of every channel that touches this worker: in-thread when both ends are here. */
function buildChannels(ctx: BuildContext): { inputs: Map<string, InputChannel>; outputs: Map<string, OutputChannel> } {
  const { batchSize, credits } = ctx.plan.exchange;
  const inputs = new Map<string, InputChannel>();
  const outputs = new Map<string, OutputChannel>();
  for (const spec of ctx.deployment.channels) {
    const sending = spec.fromWorker === ctx.worker;
    const receiving = spec.toWorker === ctx.worker;
    if (sending && receiving) {
      const local = new LocalChannel(spec.key, spec.edge.inputIndex, batchSize, credits, ctx.stats, spec.slot);
      inputs.set(spec.key, local.input);
      outputs.set(spec.key, local.output);
    } else if (sending) {
      outputs.set(spec.key, new RemoteOutputChannel(portFor(ctx, spec), batchSize, credits, ctx.stats, spec.slot));
    } else if (receiving) {
      inputs.set(spec.key, new RemoteInputChannel(spec.key, spec.edge.inputIndex, portFor(ctx, spec), ctx.stats, spec.slot));
    }
  }
  return { inputs, outputs };
}

/** Every subtask this worker runs, wired to its channels and ready to open. */
export function buildSubtasks(ctx: BuildContext): BuiltSubtask[] {
  const { plan, deployment } = ctx;
  const { inputs, outputs } = buildChannels(ctx);
  const built: BuiltSubtask[] = [];
  for (const { vertexId, index } of subtasksOfWorker(plan, deployment, ctx.worker)) {
    const vertex = plan.vertices[vertexId]!;
    const head = plannedNode(plan, vertex.nodeIds[0]!);
    const writersByNode = new Map<number, { sideOutput: string | undefined; writer: RecordWriter }[]>();
    // One record-time cell per subtask, shared by the chain's operators and the writers (built first).
    const time: RecordTime = { timestamp: NO_TIMESTAMP };
    let runner: Subtask | undefined;
    const timers = new ProcessingTimeScheduler(() => runner?.notify());
    const ownOutputs: OutputChannel[] = [];
    for (const edge of plan.edges.filter((e) => e.fromVertex === vertexId)) {
      const channels = deployment.channels
        .filter((spec) => spec.edge === edge && spec.from === index)
        .sort((a, b) => a.to - b.to)
        .map((spec) => outputs.get(spec.key)!);
      ownOutputs.push(...channels);
      const target = plannedNode(plan, plan.vertices[edge.toVertex]!.nodeIds[0]!);
      const writer = new RecordWriter(channels, edge.partitioning, plan.maxParallelism, index, time, (cause, record) =>
        operatorFailure(target, index, cause, record),
      );
      const list = writersByNode.get(edge.fromNode) ?? [];
      list.push({ sideOutput: edge.sideOutput, writer });
      writersByNode.set(edge.fromNode, list);
    }
    const ownInputs = deployment.channels
      .filter((spec) => spec.edge.toVertex === vertexId && spec.to === index)
      .map((spec) => inputs.get(spec.key)!);
    const chain = new OperatorChain(ctx.env.graph, plan, vertex, index, ctx.jobName, writersByNode, ctx.stats, time, {
      processingTime: timers,
      openKeyedState: (planned, subtask) => openKeyedState(ctx.stateDir, plan, planned, subtask, ctx.restore),
      restoredStateOf: (planned) => restoredStateOf(ctx, planned, index),
      scratchDirOf: (planned) => join(ctx.stateDir, '.scratch', planned.operatorId, String(index)),
      checkpointing: ctx.checkpointing,
      jobId: ctx.jobId,
      runId: ctx.runId,
      instanceId: ctx.instanceId,
      checkpointIntervalMs: ctx.env.checkpointing?.intervalMs,
      reportStatus: ctx.reportStatus,
    });
    const writers = [...writersByNode.values()].flat().map((entry) => entry.writer);
    const logicalHead = ctx.env.graph.node(head.nodeId);
    const reader = logicalHead.kind === 'source' ? logicalHead.source.createReader(chain.headContext, restoredSourcePositions(ctx, head)) : undefined;
    const task = taskName(vertexId, index);
    const checkpointing: SubtaskCheckpointing = {
      checkpoints: new SubtaskCheckpoints(chain, reader, ctx.reporter(task)),
      restoredFinished: vertexRestoresFinished(ctx, vertex.nodeIds.map((nodeId) => plannedNode(plan, nodeId)), index),
      onFinished: () => ctx.onSubtaskFinished(task),
    };
    runner =
      logicalHead.kind === 'source'
        ? new SourceSubtask(
            chain,
            head,
            writers,
            plan.exchange,
            timers,
            reader!,
            logicalHead.watermarkStrategy,
            plan.autoWatermarkIntervalMs,
            checkpointing,
            alignmentOf(ctx, logicalHead.watermarkStrategy, vertexId, index),
          )
        : new InputSubtask(chain, head, writers, plan.exchange, timers, new InputGate(ownInputs), checkpointing);
    for (const channel of ownOutputs) channel.onAvailable = runner.notify;
    for (const channel of ownInputs) channel.onData = runner.notify;
    built.push({
      name: `${head.name} ${index + 1}/${vertex.parallelism}`,
      runner,
      open: () => chain.open(),
      close: () => chain.close(),
      closeChannels: () => {
        for (const channel of ownOutputs) channel.close();
        for (const channel of ownInputs) channel.close();
      },
    });
  }
  return built;
}

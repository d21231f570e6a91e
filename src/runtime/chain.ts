import { threadId } from 'node:worker_threads';
import type { LogicalGraph } from '../api/graph.ts';
import type { OperatorContext, OperatorOutput, RecordTime, StreamOperator } from '../operators/operator.ts';
import type { LmdbKeyedStateBackend } from '../state/lmdb-backend.ts';
import type { PhysicalPlan, PlannedNode, Vertex } from './planner.ts';
import type { RecordWriter } from './record-writer.ts';
import { epochNow, type StatsBoard, type WaitKind } from './stats-board.ts';
import { OperatorError, describeError, previewRecord } from '../core/errors.ts';
import { NO_RECORD } from '../core/time.ts';
import type { ProcessingTimeService } from '../state/timers.ts';
import { RejectedRecordError } from '../connectors/dead-letter.ts';

type Push = (record: unknown) => void;
type PushWatermark = (timestamp: number) => void;

/** Where one node's output goes: a chained successor or a record writer. */
interface Target {
  readonly record: Push;
  readonly watermark: PushWatermark;
}

/** What a chain needs from the subtask that runs it. */
export interface ChainServices {
  readonly processingTime: ProcessingTimeService;
  /** Opens the keyed state of a keyed operator subtask (one LMDB environment each), restored if the attempt restores. */
  openKeyedState(planned: PlannedNode, subtask: number): Promise<LmdbKeyedStateBackend>;
  /** The operator's own states this subtask restores (see OperatorContext.restored). */
  restoredStateOf(planned: PlannedNode): OperatorContext['restored'];
  /** The operator subtask's scratch directory in this attempt (see OperatorContext.scratchDir). */
  scratchDirOf(planned: PlannedNode): string;
  readonly checkpointing: boolean;
  readonly jobId: string;
  readonly runId: string;
  readonly instanceId: string;
  readonly checkpointIntervalMs: number | undefined;
  /** Hands an operator subtask's status to the job's process (RuntimeContext.reportStatus); absent outside a worker. */
  readonly reportStatus?: (planned: PlannedNode, subtask: number, kind: string, status: unknown) => void;
}

/** What a checkpoint snapshots of one chained operator. */
export interface SnapshotParticipant {
  readonly operatorId: string;
  readonly operator: StreamOperator | undefined;
  readonly keyedState: LmdbKeyedStateBackend | undefined;
  fail(cause: unknown): Error;
}

/** Counters of one operator subtask, bumped on the hot path and published to the stats board once per batch. */
interface Counters {
  recordsIn: number;
  recordsOut: number;
}

interface ChainMember {
  readonly planned: PlannedNode;
  readonly operator: StreamOperator | undefined;
  readonly keyed: boolean;
  keyedState: LmdbKeyedStateBackend | undefined;
  readonly context: { -readonly [P in keyof OperatorContext]: OperatorContext[P] };
  readonly output: OperatorOutput<unknown>;
  /** The node's side outputs that some stream reads, by tag id. */
  readonly sides: ReadonlyMap<string, Push>;
  readonly counters: Counters;
  readonly statsSlot: number;
}

function fanOut(targets: readonly Target[]): Push {
  if (targets.length === 0) return () => {};
  if (targets.length === 1) return targets[0]!.record;
  const pushes = targets.map((target) => target.record);
  return (record) => {
    for (const push of pushes) push(record);
  };
}


export function operatorFailure(planned: PlannedNode, subtask: number, cause: unknown, record: unknown): Error {
  if (cause instanceof OperatorError) return cause;
  // A source's bad record is no record of the chain's, but its preview is what the reader of the failure needs.
  const preview = record !== NO_RECORD ? previewRecord(record) : cause instanceof RejectedRecordError ? cause.recordPreview : undefined;
  return new OperatorError(planned.name, `${subtask + 1}/${planned.parallelism}`, describeError(cause), preview, { cause });
}

/**
 * The operators of one vertex subtask wired as direct function calls (docs/architecture.md, decision 4): each node's output calls its
 * chained successors and the record writers of the edges that leave it.
 */
export class OperatorChain {
  /** Entry point of the chain: the head operator's process (or, for a source vertex, the source node's output). */
  readonly head: (record: unknown, input: number) => void;
  /** Event-time progress into the head of the chain. */
  readonly headWatermark: PushWatermark;
  readonly headCounters: Counters;
  private readonly members: ChainMember[] = [];
  private deadLetters = 0;

  constructor(
    graph: LogicalGraph,
    plan: PhysicalPlan,
    vertex: Vertex,
    readonly subtask: number,
    jobName: string,
    writersByNode: ReadonlyMap<number, readonly { sideOutput: string | undefined; writer: RecordWriter }[]>,
    private readonly stats: StatsBoard,
    /** The timestamp of the record in flight, shared by every operator and writer of this subtask. */
    readonly time: RecordTime,
    private readonly services: ChainServices,
  ) {
    const byId = new Map<number, ChainMember>();
    const entries = new Map<number, Target>();
    // Build from the tail so each node's successors exist when its output is wired.
    for (const nodeId of [...vertex.nodeIds].reverse()) {
      const planned = plan.nodes.get(nodeId)!;
      const logical = graph.node(nodeId);
      const counters: Counters = { recordsIn: 0, recordsOut: 0 };
      const statsSlot = stats.nodeSlot(nodeId, subtask);
      const targetsBySide = new Map<string | undefined, Target[]>();
      const allTargets: Target[] = [];
      const addTarget = (side: string | undefined, target: Target): void => {
        const list = targetsBySide.get(side) ?? [];
        list.push(target);
        targetsBySide.set(side, list);
        allTargets.push(target);
      };
      for (const successorId of vertex.nodeIds) {
        const successor = plan.nodes.get(successorId)!;
        if (successor.chainedFrom?.nodeId === nodeId) addTarget(successor.chainedFrom.sideOutput, entries.get(successorId)!);
      }
      for (const { sideOutput, writer } of writersByNode.get(nodeId) ?? []) {
        addTarget(sideOutput, {
          record: writer.emit,
          watermark: (timestamp) => writer.broadcastEvent({ t: 'watermark', timestamp }),
        });
      }

      const main = fanOut(targetsBySide.get(undefined) ?? []);
      const sides = new Map<string, Push>();
      for (const [side, targets] of targetsBySide) if (side !== undefined) sides.set(side, fanOut(targets));
      const output: OperatorOutput<unknown> = {
        collect(record) {
          counters.recordsOut++;
          main(record);
        },
        emitSide(tagId, record) {
          // As in Flink, a side output that no stream reads is dropped by design.
          sides.get(tagId)?.(record);
        },
        emitWatermark(timestamp) {
          // A source has no input: what it emits is its input and its output watermark (as Flink shows a source's).
          if (planned.kind === 'source') stats.setInputWatermark(statsSlot, timestamp);
          stats.setOutputWatermark(statsSlot, timestamp);
          for (const target of allTargets) target.watermark(timestamp);
        },
      };
      const keyed = logical.kind === 'operator' && logical.keySelector !== undefined;
      const context: ChainMember['context'] = {
        jobName,
        operatorName: planned.name,
        operatorId: planned.operatorId,
        subtaskIndex: subtask,
        parallelism: planned.parallelism,
        threadId,
        keyedState: undefined,
        time: this.time,
        processingTime: services.processingTime,
        fail: (cause, record) => operatorFailure(planned, subtask, cause, record),
        restored: services.restoredStateOf(planned),
        scratchDir: services.scratchDirOf(planned),
        checkpointing: services.checkpointing,
        jobId: services.jobId,
        runId: services.runId,
        instanceId: services.instanceId,
        checkpointIntervalMs: services.checkpointIntervalMs,
      };
      const reportStatus = services.reportStatus;
      if (reportStatus !== undefined) context.reportStatus = (kind, status) => reportStatus(planned, subtask, kind, status);
      const operator = logical.kind === 'operator' ? logical.createOperator() : undefined;
      if (operator !== undefined) {
        const processWatermark = operator.processWatermark?.bind(operator) ?? output.emitWatermark;
        entries.set(nodeId, {
          record: (record) => {
            counters.recordsIn++;
            operator.process(record, 0);
          },
          watermark: (timestamp) => {
            stats.setInputWatermark(statsSlot, timestamp);
            try {
              processWatermark(timestamp);
            } catch (error) {
              throw operatorFailure(planned, subtask, error, NO_RECORD);
            }
          },
        });
      }
      const member: ChainMember = {
        planned,
        operator,
        keyed,
        keyedState: undefined,
        context,
        output,
        sides,
        counters,
        statsSlot,
      };
      byId.set(nodeId, member);
    }
    for (const nodeId of vertex.nodeIds) this.members.push(byId.get(nodeId)!);

    const head = this.members[0]!;
    this.headCounters = head.counters;
    if (head.operator === undefined) {
      // Source vertex: the source reader's records enter through the source node's output.
      const collect = head.output.collect;
      this.head = (record) => collect(record);
      this.headWatermark = head.output.emitWatermark;
    } else {
      const operator = head.operator;
      this.head = (record, input) => operator.process(record, input);
      this.headWatermark = entries.get(head.planned.nodeId)!.watermark;
    }
  }

  /** The source node's output, where a source reader emits. */
  get sourceOutput(): OperatorOutput<unknown> {
    return this.members[0]!.output;
  }

  /** A side output of the source node that some stream reads (a source's dead letters), or undefined. */
  sourceSideOutput(tagId: string): Push | undefined {
    const head = this.members[0]!;
    return head.operator === undefined ? head.sides.get(tagId) : undefined;
  }

  get headContext(): OperatorContext {
    return this.members[0]!.context;
  }

  async open(): Promise<void> {
    // Open from the tail, so that no operator emits into an unopened successor.
    for (const member of [...this.members].reverse()) {
      await this.guard(member, async () => {
        if (member.keyed) {
          member.keyedState = await this.services.openKeyedState(member.planned, this.subtask);
          member.context.keyedState = member.keyedState;
        }
        await member.operator?.open?.(member.context, member.output);
      });
    }
  }

  /** After each input batch; returns a promise only when some operator needs to wait (async sinks). */
  endOfBatch(): Promise<void> | undefined {
    let pending: Promise<void>[] | undefined;
    for (const member of this.members) {
      if (member.operator?.endOfBatch === undefined) continue;
      let result: void | Promise<void>;
      try {
        result = member.operator.endOfBatch();
      } catch (error) {
        throw operatorFailure(member.planned, this.subtask, error, NO_RECORD);
      }
      if (result !== undefined) (pending ??= []).push(this.guard(member, () => result));
    }
    return pending === undefined ? undefined : Promise.all(pending).then(() => {});
  }

  /** End of input: operators emit what they hold, head first so successors see it before they finish. */
  async finish(): Promise<void> {
    for (const member of this.members) await this.guard(member, () => member.operator?.finish?.());
  }

  /** The chain's operators in order, as a checkpoint sees them. */
  get participants(): SnapshotParticipant[] {
    return this.members.map((member) => ({
      operatorId: member.planned.operatorId,
      operator: member.operator,
      keyedState: member.keyedState,
      fail: (cause: unknown) => operatorFailure(member.planned, this.subtask, cause, NO_RECORD),
    }));
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const member of this.members) {
      await this.guard(member, async () => {
        await member.operator?.close?.();
        await member.context.keyedState?.close();
      });
    }
  }

  /** The subtask starts: its busy, backpressured and idle times count from now (for every operator of the chain). */
  startTimes(): void {
    const now = epochNow();
    for (const member of this.members) this.stats.startTimes(member.statsSlot, now);
  }

  /** Waits for `promise`, counted as idle or backpressured time of the subtask (written once per wait, not per record). */
  async timeWait<T>(kind: WaitKind, promise: Promise<T>): Promise<T> {
    const started = epochNow();
    for (const member of this.members) this.stats.beginWait(member.statsSlot, kind, started);
    try {
      return await promise;
    } finally {
      const ended = epochNow();
      for (const member of this.members) this.stats.endWait(member.statsSlot, ended);
    }
  }

  /** The subtask aligned checkpoint `checkpointId`'s barriers in `alignmentMs` (the coordinator reads it at completion). */
  recordAlignment(checkpointId: number, alignmentMs: number): void {
    for (const member of this.members) this.stats.setAlignment(member.statsSlot, checkpointId, alignmentMs);
  }

  /** The source sent a record to its dead letters. */
  countDeadLetter(): void {
    this.stats.publishDeadLetters(this.members[0]!.statsSlot, ++this.deadLetters);
  }

  publishStats(): void {
    for (const member of this.members) {
      const { recordsIn, recordsOut } = member.counters;
      this.stats.publishRecords(member.statsSlot, recordsIn, recordsOut, member.operator?.lateRecordsDropped ?? 0);
      const state = member.keyedState;
      if (state !== undefined) this.stats.publishStateCache(member.statsSlot, state.cacheHits, state.cacheMisses);
    }
  }

  private async guard(member: ChainMember, action: () => unknown): Promise<void> {
    try {
      await action();
    } catch (error) {
      throw operatorFailure(member.planned, this.subtask, error, NO_RECORD);
    }
  }
}

import { performance } from 'node:perf_hooks';
import type { ExchangeOptions } from '../api/environment.ts';
import type { ReaderOutput, SourceReader } from '../connectors/source.ts';
import type { WatermarkStrategy } from '../api/watermark-strategy.ts';
import type { OperatorChain } from './chain.ts';
import type { InputGate } from './input-gate.ts';
import type { RecordWriter } from './record-writer.ts';
import type { ProcessingTimeScheduler } from './processing-time.ts';
import type { ValveOutput } from './watermark-valve.ts';
import { DEAD_LETTERS, type DeadLetter } from '../connectors/dead-letter.ts';
import { DEAD_LETTERS_STATUS, SPLIT_WATERMARKS_STATUS, deadLetterReason } from './observed-statuses.ts';
import { operatorFailure } from './chain.ts';
import { OperatorError } from '../core/errors.ts';
import { Signal, sleep, yieldToEventLoop } from '../core/signal.ts';
import { SourceWatermarks } from './source-watermarks.ts';
import { WatermarkValve } from './watermark-valve.ts';
import type { PlannedNode } from './planner.ts';
import type { Barrier } from '../checkpoint/snapshot-state.ts';
import type { SubtaskCheckpoints } from './subtask-checkpoints.ts';
import type { WatermarkAlignment } from './watermark-alignment.ts';
import { BarrierAligner, type AlignmentStep } from '../checkpoint/barrier-aligner.ts';
import { faultPoint } from '../core/fault-points.ts';
import { NO_RECORD } from '../core/time.ts';
import { MAX_WATERMARK } from '../core/time.ts';

/** How a subtask takes part in checkpoints. */
export interface SubtaskCheckpointing {
  readonly checkpoints: SubtaskCheckpoints;
  /** The restored checkpoint says this subtask had read all its input: it only waits for its release. */
  readonly restoredFinished: boolean;
  /** Told once the subtask read all its input and sent everything on; it then waits for `release`. */
  onFinished(): void;
}

/** Completion and abort of a checkpoint; `stop` ends the subtask once the notices before it are handled. */
type Notice = { readonly kind: 'complete' | 'abort' | 'stop'; readonly checkpointId: number };

/** How long a subtask runs before it lets the event loop deliver messages and run other subtasks. */
const SLICE_MS = 4;
/** How often a source subtask reports its splits' watermarks (the job's watermark route), at most. */
const SPLIT_REPORT_MS = 250;
/** How long a source subtask too far ahead of its alignment group waits before it looks again. */
const ALIGNMENT_PAUSE_MS = 5;

/**
 * One parallel instance of a vertex: a long-lived loop that reads input (or polls its source), runs the operator
 * chain, and respects the credit of every output channel (docs/architecture.md, decision 3).
 */
export abstract class Subtask {
  protected cancelled = false;
  protected readonly wake = new Signal();
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerError: unknown;
  /** The newest checkpoint the coordinator triggered: sources emit its barrier, finished subtasks snapshot at once. */
  private latestTrigger: Barrier | undefined;
  protected readonly notices: Notice[] = [];
  private released = false;

  constructor(
    protected readonly chain: OperatorChain,
    protected readonly head: PlannedNode,
    protected readonly writers: readonly RecordWriter[],
    protected readonly exchange: ExchangeOptions,
    protected readonly timers: ProcessingTimeScheduler,
    protected readonly checkpointing: SubtaskCheckpointing,
  ) {}

  /** Where the subtask's event-time progress goes: watermarks through the chain, idleness straight to the writers. */
  protected readonly progress: ValveOutput = {
    emitWatermark: (timestamp) => this.chain.headWatermark(timestamp),
    emitIdle: (idle) => {
      for (const writer of this.writers) writer.broadcastEvent({ t: 'idle', idle });
    },
  };

  /** Wired to every output channel's `onAvailable` and input channel's `onData`. */
  readonly notify = (): void => this.wake.notify();

  cancel(): void {
    this.cancelled = true;
    this.wake.notify();
  }

  trigger(barrier: Barrier): void {
    if (barrier.checkpointId <= (this.latestTrigger?.checkpointId ?? 0)) return;
    this.latestTrigger = barrier;
    this.wake.notify();
  }

  notice(kind: Notice['kind'], checkpointId: number): void {
    this.notices.push({ kind, checkpointId });
    this.wake.notify();
  }

  /** Every subtask finished (and the final checkpoint, if any, completed): close. */
  release(): void {
    this.released = true;
    this.wake.notify();
  }

  /**
   * Runs to the end of input, then waits for its release, answering checkpoints meanwhile; rejects with an error
   * that names the failing operator.
   */
  async run(): Promise<void> {
    try {
      this.chain.startTimes();
      if (!this.checkpointing.restoredFinished) {
        await this.loop();
        if (this.cancelled) return;
        await this.endOfInput();
        await this.chain.finish();
      }
      for (const writer of this.writers) writer.broadcastEvent({ t: 'end' });
      while (!this.cancelled && !this.writers.every((writer) => writer.isDrained())) await this.chain.timeWait('backpressured', this.wake.wait());
      this.chain.publishStats();
      await this.awaitRelease();
    } catch (error) {
      throw error instanceof OperatorError ? error : operatorFailure(this.head, this.chain.subtask, error, NO_RECORD);
    } finally {
      clearTimeout(this.lingerTimer);
      this.timers.close();
      // Closing LMDB under a snapshot still reading it would be a use after free in native code.
      await this.checkpointing.checkpoints.settled();
      await this.chain.close();
    }
  }

  protected abstract loop(): Promise<void>;

  /**
   * A finished subtask keeps its state until the job ends, so that checkpoints (the final one above all) include it:
   * it snapshots at once when triggered, since no barrier can reach it through its ended inputs any more.
   */
  private async awaitRelease(): Promise<void> {
    this.checkpointing.onFinished();
    for (;;) {
      await this.handleNotices();
      const barrier = this.takeTrigger();
      if (barrier !== undefined) {
        await this.checkpointing.checkpoints.snapshot(barrier, true);
        continue;
      }
      if (this.released || this.cancelled) return;
      await this.chain.timeWait('idle', this.wake.wait());
    }
  }

  /** A trigger this subtask has not snapshotted yet, taken off the queue. */
  protected takeTrigger(): Barrier | undefined {
    const barrier = this.latestTrigger;
    if (barrier === undefined || barrier.checkpointId <= this.checkpointing.checkpoints.lastSnapshotId) return undefined;
    this.latestTrigger = undefined;
    return barrier;
  }

  /** Completion and abort notices, in order, between batches. */
  protected async handleNotices(): Promise<void> {
    const checkpoints = this.checkpointing.checkpoints;
    for (let notice = this.notices.shift(); notice !== undefined; notice = this.notices.shift()) {
      if (notice.kind === 'complete') await checkpoints.notifyComplete(notice.checkpointId);
      else if (notice.kind === 'abort') await checkpoints.notifyAborted(notice.checkpointId);
      else this.cancelled = true;
    }
  }

  /** Snapshots at the barrier, then sends it on after everything emitted before it. */
  protected async checkpointAtBarrier(barrier: Barrier): Promise<void> {
    if (!(await this.checkpointing.checkpoints.snapshot(barrier, false))) return;
    for (const writer of this.writers) writer.broadcastEvent(barrier);
  }

  /** Input is exhausted: sources announce the end of event time; inputs already received it upstream. */
  protected async endOfInput(): Promise<void> {}

  /** Runs processing-time callbacks that are due, then lets sinks flush what they emitted. */
  protected async runTimers(): Promise<void> {
    if (this.timers.runDue()) await this.afterBatch();
  }

  protected writersAvailable(): boolean {
    for (const writer of this.writers) if (!writer.isAvailable()) return false;
    return true;
  }

  /** Partly filled batches go out after `lingerMs`, so a slow input still flows. */
  protected armLinger(): void {
    if (this.lingerTimer !== undefined || !this.writers.some((writer) => writer.hasOpenBatch())) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      try {
        for (const writer of this.writers) writer.flush();
      } catch (error) {
        this.lingerError = error;
        this.wake.notify();
      }
    }, this.exchange.lingerMs);
  }

  protected checkLinger(): void {
    if (this.lingerError !== undefined) throw this.lingerError;
  }

  private sliceStart = performance.now();

  /** Starts a new time slice (after the subtask waited anyway). */
  protected restartSlice(): void {
    this.sliceStart = performance.now();
  }

  /** Gives the event loop a turn once the slice is used up, so credits, input and other subtasks get through. */
  protected async yieldIfSliceUsed(): Promise<void> {
    if (performance.now() - this.sliceStart <= SLICE_MS) return;
    this.armLinger();
    await yieldToEventLoop();
    this.sliceStart = performance.now();
  }

  protected async afterBatch(): Promise<void> {
    const pending = this.chain.endOfBatch();
    if (pending !== undefined) await pending;
    this.chain.publishStats();
  }
}

/**
 * A source's dead letters, counted on the stats board and by reason (the error's name: a bounded set, unlike its
 * message) in a status the job's process keeps: a bad record is rare, so a status per dead letter costs nothing.
 */
function countedDeadLetters(chain: OperatorChain, push: ((letter: DeadLetter) => void) | undefined): ((letter: DeadLetter) => void) | undefined {
  if (push === undefined) return undefined;
  const byReason: Record<string, number> = {};
  return (letter) => {
    chain.countDeadLetter();
    const reason = deadLetterReason(letter.reason);
    byReason[reason] = (byReason[reason] ?? 0) + 1;
    chain.headContext.reportStatus?.(DEAD_LETTERS_STATUS, byReason);
    push(letter);
  };
}

/** A subtask whose head is a source: polls the reader while every output has credit. */
export class SourceSubtask extends Subtask {
  private readonly watermarks: SourceWatermarks<unknown>;
  private readonly output: ReaderOutput<unknown>;
  private lastWatermarkAt = Number.NEGATIVE_INFINITY;
  private splitsReportedAt = Number.NEGATIVE_INFINITY;

  constructor(
    chain: OperatorChain,
    head: PlannedNode,
    writers: readonly RecordWriter[],
    exchange: ExchangeOptions,
    timers: ProcessingTimeScheduler,
    private readonly reader: SourceReader<unknown>,
    strategy: WatermarkStrategy<unknown> | undefined,
    private readonly watermarkIntervalMs: number,
    checkpointing: SubtaskCheckpointing,
    private readonly alignment: WatermarkAlignment | undefined,
  ) {
    super(chain, head, writers, exchange, timers, checkpointing);
    const deadLetters = countedDeadLetters(chain, chain.sourceSideOutput(DEAD_LETTERS.id));
    const watermarks = new SourceWatermarks(strategy, chain.time, chain.sourceOutput.collect, Date.now, deadLetters);
    this.watermarks = watermarks;
    this.output = watermarks.readerOutput;
  }

  protected async loop(): Promise<void> {
    await this.reader.open?.();
    try {
      this.restartSlice();
      while (!this.cancelled) {
        this.checkLinger();
        await this.runTimers();
        if (this.notices.length > 0) await this.handleNotices();
        // A stop notice ends the subtask now: a wait below would be for input or credit nobody sends any more.
        if (this.cancelled) break;
        const barrier = this.takeTrigger();
        if (barrier !== undefined) await this.checkpointAtBarrier(barrier);
        if (!this.writersAvailable()) {
          await this.chain.timeWait('backpressured', this.wake.wait());
          continue;
        }
        if (this.alignment?.ahead === true) {
          // Too far ahead of its alignment group: what it wrote goes out, and it reads again once the others caught up.
          this.emitWatermarkIfDue();
          this.armLinger();
          await this.chain.timeWait('idle', sleep(ALIGNMENT_PAUSE_MS));
          this.restartSlice();
          continue;
        }
        const polled = this.reader.poll(this.output, this.exchange.batchSize);
        const result = polled instanceof Promise ? await polled : polled;
        this.emitWatermarkIfDue();
        this.alignment?.update(this.watermarks.eventTimeProgress(), this.watermarks.isIdle);
        await this.afterBatch();
        if (result === 'end') return;
        if (result === 'more') {
          await this.yieldIfSliceUsed();
        } else {
          this.armLinger();
          await this.chain.timeWait('idle', sleep(Math.min(result.waitMs, Math.max(1, this.watermarkIntervalMs))));
          this.restartSlice();
        }
      }
    } finally {
      this.alignment?.close();
      await this.reader.close?.();
    }
  }

  /** Watermarks go out at the auto-watermark interval, not per poll, so they do not cut batches short. */
  private emitWatermarkIfDue(): void {
    const now = performance.now();
    if (now - this.lastWatermarkAt < this.watermarkIntervalMs) return;
    this.lastWatermarkAt = now;
    this.watermarks.emitPeriodic(this.progress);
    // Not per poll (a watermark interval of 0 emits at every one): the route needs no more than the outbox sends.
    if (now - this.splitsReportedAt < SPLIT_REPORT_MS) return;
    this.splitsReportedAt = now;
    this.chain.headContext.reportStatus?.(SPLIT_WATERMARKS_STATUS, this.watermarks.splitWatermarks());
  }

  /** As in Flink, a bounded source ends event time: every event-time timer downstream fires. */
  protected override async endOfInput(): Promise<void> {
    this.chain.headWatermark(MAX_WATERMARK);
    await this.afterBatch();
  }
}

/** A subtask fed by input channels: processes one batch at a time, then returns its credit. */
export class InputSubtask extends Subtask {
  private readonly valve: WatermarkValve;
  private readonly aligner: BarrierAligner;
  /** Barriers of the checkpoint being aligned, by id (the aligner knows only ids). */
  private readonly barriers = new Map<number, Barrier>();
  /** When the first barrier of each checkpoint being aligned arrived: alignment time runs from there. */
  private readonly barrierArrivals = new Map<number, number>();

  constructor(
    chain: OperatorChain,
    head: PlannedNode,
    writers: readonly RecordWriter[],
    exchange: ExchangeOptions,
    timers: ProcessingTimeScheduler,
    private readonly gate: InputGate,
    checkpointing: SubtaskCheckpointing,
  ) {
    super(chain, head, writers, exchange, timers, checkpointing);
    this.valve = new WatermarkValve(gate.channels.length, this.progress);
    this.aligner = new BarrierAligner(gate.channels.length);
  }

  private async align(steps: readonly AlignmentStep[]): Promise<void> {
    for (const step of steps) {
      if (step.kind === 'block') {
        this.gate.block(step.channel);
        faultPoint('alignment');
        continue;
      }
      this.gate.unblockAll();
      const barrier = this.barriers.get(step.checkpointId);
      const firstBarrierAt = this.barrierArrivals.get(step.checkpointId);
      for (const id of this.barriers.keys()) if (id <= step.checkpointId) this.barriers.delete(id);
      for (const id of this.barrierArrivals.keys()) if (id <= step.checkpointId) this.barrierArrivals.delete(id);
      if (step.kind === 'aligned' && firstBarrierAt !== undefined) this.chain.recordAlignment(step.checkpointId, performance.now() - firstBarrierAt);
      if (step.kind === 'aligned' && barrier !== undefined) await this.checkpointAtBarrier(barrier);
    }
  }

  protected async loop(): Promise<void> {
    const process = this.chain.head;
    const counters = this.chain.headCounters;
    const time = this.chain.time;
    const valve = this.valve;
    this.restartSlice();
    while (!this.cancelled) {
      this.checkLinger();
      await this.runTimers();
      if (this.notices.length > 0) await this.handleNotices();
      if (this.cancelled) break;
      if (!this.writersAvailable()) {
        await this.chain.timeWait('backpressured', this.wake.wait());
        continue;
      }
      const item = this.gate.poll();
      if (item === undefined) {
        this.armLinger();
        await this.chain.timeWait('idle', this.wake.wait());
        this.restartSlice();
        continue;
      }
      const channel = this.gate.current!;
      const index = this.gate.currentIndex;
      switch (item.t) {
        case 'records': {
          const { records, timestamps } = item;
          const input = channel.inputIndex;
          valve.onRecords(index);
          counters.recordsIn += records.length;
          for (let i = 0; i < records.length; i++) {
            time.timestamp = timestamps[i]!;
            process(records[i], input);
          }
          await this.afterBatch();
          channel.release(records.length);
          break;
        }
        case 'watermark':
          valve.onWatermark(index, item.timestamp);
          await this.afterBatch();
          break;
        case 'idle':
          valve.onIdle(index, item.idle);
          await this.afterBatch();
          break;
        case 'barrier':
          if (!this.barriers.has(item.checkpointId)) {
            this.barriers.set(item.checkpointId, item);
            this.barrierArrivals.set(item.checkpointId, performance.now());
          }
          await this.align(this.aligner.onBarrier(index, item.checkpointId));
          break;
        case 'end':
          valve.onEnd(index);
          await this.afterBatch();
          this.gate.markEnded(channel);
          await this.align(this.aligner.onEnd(index));
          if (this.gate.finished) return;
          break;
      }
      await this.yieldIfSliceUsed();
    }
  }
}

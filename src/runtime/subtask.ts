import { performance } from 'node:perf_hooks';
import type { ExchangeOptions } from '../api/environment.ts';
import type { SourceReader } from '../connectors/source.ts';
import type { OperatorChain } from './chain.ts';
import type { InputGate } from './input-gate.ts';
import type { RecordWriter } from './record-writer.ts';
import { NO_RECORD, operatorFailure } from './chain.ts';
import { OperatorError } from './errors.ts';
import { Signal, sleep, yieldToEventLoop } from './signal.ts';
import type { PlannedNode } from './planner.ts';

/** How long a subtask runs before it lets the event loop deliver messages and run other subtasks. */
const SLICE_MS = 4;

/**
 * One parallel instance of a vertex: a long-lived loop that reads input (or polls its source), runs the operator
 * chain, and respects the credit of every output channel (DESIGN decision 3).
 */
export abstract class Subtask {
  protected cancelled = false;
  protected readonly wake = new Signal();
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerError: unknown;

  constructor(
    protected readonly chain: OperatorChain,
    protected readonly head: PlannedNode,
    protected readonly writers: readonly RecordWriter[],
    protected readonly exchange: ExchangeOptions,
  ) {}

  /** Wired to every output channel's `onAvailable` and input channel's `onData`. */
  readonly notify = (): void => this.wake.notify();

  cancel(): void {
    this.cancelled = true;
    this.wake.notify();
  }

  /** Runs to the end of input; rejects with an error that names the failing operator. */
  async run(): Promise<void> {
    try {
      await this.loop();
      if (this.cancelled) return;
      await this.chain.finish();
      for (const writer of this.writers) writer.broadcastEvent({ t: 'end' });
      while (!this.cancelled && !this.writers.every((writer) => writer.isDrained())) await this.wake.wait();
      this.chain.publishStats();
    } catch (error) {
      throw error instanceof OperatorError ? error : operatorFailure(this.head, this.chain.subtask, error, NO_RECORD);
    } finally {
      clearTimeout(this.lingerTimer);
      await this.chain.close();
    }
  }

  protected abstract loop(): Promise<void>;

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

/** A subtask whose head is a source: polls the reader while every output has credit. */
export class SourceSubtask extends Subtask {
  constructor(
    chain: OperatorChain,
    head: PlannedNode,
    writers: readonly RecordWriter[],
    exchange: ExchangeOptions,
    private readonly reader: SourceReader<unknown>,
  ) {
    super(chain, head, writers, exchange);
  }

  protected async loop(): Promise<void> {
    const output = this.chain.sourceOutput;
    await this.reader.open?.();
    try {
      this.restartSlice();
      while (!this.cancelled) {
        this.checkLinger();
        if (!this.writersAvailable()) {
          await this.wake.wait();
          continue;
        }
        const polled = this.reader.poll(output, this.exchange.batchSize);
        const result = polled instanceof Promise ? await polled : polled;
        await this.afterBatch();
        if (result === 'end') return;
        if (result === 'more') {
          await this.yieldIfSliceUsed();
        } else {
          this.armLinger();
          await sleep(result.waitMs);
          this.restartSlice();
        }
      }
    } finally {
      await this.reader.close?.();
    }
  }
}

/** A subtask fed by input channels: processes one batch at a time, then returns its credit. */
export class InputSubtask extends Subtask {
  constructor(
    chain: OperatorChain,
    head: PlannedNode,
    writers: readonly RecordWriter[],
    exchange: ExchangeOptions,
    private readonly gate: InputGate,
  ) {
    super(chain, head, writers, exchange);
  }

  protected async loop(): Promise<void> {
    const process = this.chain.head;
    const counters = this.chain.headCounters;
    this.restartSlice();
    while (!this.cancelled) {
      this.checkLinger();
      if (!this.writersAvailable()) {
        await this.wake.wait();
        continue;
      }
      const item = this.gate.poll();
      if (item === undefined) {
        this.armLinger();
        await this.wake.wait();
        this.restartSlice();
        continue;
      }
      const channel = this.gate.current!;
      if (item.t === 'records') {
        const records = item.records;
        const input = channel.inputIndex;
        counters.recordsIn += records.length;
        for (let i = 0; i < records.length; i++) process(records[i], input);
        await this.afterBatch();
        channel.release(records.length);
      } else if (item.t === 'end') {
        this.gate.markEnded(channel);
        if (this.gate.finished) return;
      }
      await this.yieldIfSliceUsed();
    }
  }
}

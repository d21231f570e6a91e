import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataStream } from '../api/data-stream.ts';
import type { WindowedStream } from '../api/windowed-stream.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type { FlatMapFunction, KeyedProcessFunction, KeySelector, MapFunction, ProcessFunction } from '../operators/functions.ts';
import type { RecordTime, StreamOperator } from '../operators/operator.ts';
import type { WindowAssigner } from '../operators/window/assigners.ts';
import type { AnyStateDescriptor, StateHandleFor } from '../state/descriptors.ts';
import type { Window } from '../operators/window/windows.ts';
import type { PlannedNode } from '../runtime/planner.ts';
import type { LmdbKeyedStateBackend } from '../state/lmdb-backend.ts';
import { VOID_NAMESPACE } from '../state/backend.ts';
import { writeKeyedSnapshot } from '../checkpoint/keyed-snapshot.ts';
import { operatorFailure } from '../runtime/chain.ts';
import { OperatorError, WeirError } from '../core/errors.ts';
import { MAX_WATERMARK, MIN_WATERMARK, NO_RECORD, NO_TIMESTAMP } from '../core/time.ts';
import { ManualProcessingTime } from './harness-clock.ts';
import {
  buildOperator,
  checkRestorable,
  harnessContext,
  openHarnessState,
  type BuiltOperator,
  type HarnessBuilder,
  type HarnessJobSettings,
  type HarnessSurroundings,
} from './harness-operator.ts';
import { HarnessOutput, type TimestampedValue } from './harness-output.ts';
import { HarnessSnapshot, MemorySnapshotFiles } from './harness-snapshot.ts';

export { HarnessSnapshot, type HarnessBuilder, type HarnessJobSettings, type TimestampedValue };

/** How an operator harness starts. */
export interface HarnessOptions extends HarnessJobSettings {
  /** The processing time (ms) the harness's clock starts at; 0 by default. It moves only by `setProcessingTime`. */
  readonly processingTime?: number;
  /** Starts from a snapshot another harness of the same operator took, as a job restarts from a checkpoint. */
  readonly restore?: HarnessSnapshot;
  /** The job name user functions see in their context; 'harness' by default. */
  readonly jobName?: string;
}

/**
 * Unit tests of user functions, without threads: runs one operator of a job (a keyed process function, a window with
 * its trigger, lateness and late side output, a map...) on the runtime's own operator code and keyed state (LMDB, in
 * a temporary directory), and lets the test drive it as a subtask would: elements with timestamps, watermarks, a
 * processing-time clock the test sets, snapshots and restores. What it emits is collected: the main output with
 * timestamps, side outputs by tag, forwarded watermarks. Weir's counterpart of Flink's
 * KeyedOneInputStreamOperatorTestHarness.
 *
 * ```ts
 * const harness = await OperatorHarness.keyedProcess((e: Click) => e.user, new SessionCounter());
 * harness.processElement({ user: 'a' }, 1_000);
 * harness.processWatermark(5_000);   // fires event-time timers up to 5 s
 * harness.setProcessingTime(60_000); // fires processing-time timers up to 60 s
 * expect(harness.values()).toEqual([...]);
 * const snapshot = await harness.snapshot();
 * await harness.close();
 * const restored = await OperatorHarness.keyedProcess((e: Click) => e.user, new SessionCounter(), { restore: snapshot });
 * ```
 *
 * Every method that drives the operator runs it to completion before it returns; a user function that throws fails
 * the call with the OperatorError a job would fail with. Close the harness at the end of each test.
 */
export class OperatorHarness<I, O> {
  private watermark = MIN_WATERMARK;
  private lastCheckpointId: number;
  private state: 'open' | 'ended' | 'closed' = 'open';

  /**
   * The harness of any one-input operator, built from its input stream as the job builds it: `(input) =>
   * input.keyBy(key).window(assigner).aggregate(fn)`. The builder must add exactly one operator (no sink).
   */
  static async of<I, O>(build: HarnessBuilder<I, O>, options: HarnessOptions = {}): Promise<OperatorHarness<I, O>> {
    const built = buildOperator(build, options);
    const processingTime = options.processingTime ?? 0;
    if (!Number.isFinite(processingTime)) throw new RangeError(`the harness's processing time must be a finite number of ms, got ${processingTime}`);
    const dir = await mkdtemp(join(tmpdir(), 'weir-harness-'));
    const harness = new OperatorHarness<I, O>(built, new ManualProcessingTime(processingTime), dir, options.restore);
    try {
      await harness.open(options);
    } catch (error) {
      await harness.close().catch(() => {});
      throw error;
    }
    return harness;
  }

  /** A keyed process function after `keyBy(keySelector)`: keyed state, event- and processing-time timers. */
  static keyedProcess<I, K, O>(keySelector: KeySelector<I, K>, fn: KeyedProcessFunction<K, I, O>, options?: HarnessOptions): Promise<OperatorHarness<I, O>> {
    return OperatorHarness.of<I, O>((input) => input.keyBy(keySelector).process<O>(fn), options);
  }

  /**
   * A window operator after `keyBy(keySelector).window(assigner)`; `finish` sets its trigger, lateness and late side
   * output and ends it with reduce, aggregate or process, as the job does: `(w) => w.allowedLateness(1_000).reduce(fn)`.
   */
  static window<I, K, W extends Window, O>(
    keySelector: KeySelector<I, K>,
    assigner: WindowAssigner<W>,
    finish: (windowed: WindowedStream<I, K, W>) => DataStream<O>,
    options?: HarnessOptions,
  ): Promise<OperatorHarness<I, O>> {
    return OperatorHarness.of<I, O>((input) => finish(input.keyBy(keySelector).window(assigner)), options);
  }

  /** A process function on a stream that is not keyed (side outputs, no state, no timers). */
  static process<I, O>(fn: ProcessFunction<I, O>, options?: HarnessOptions): Promise<OperatorHarness<I, O>> {
    return OperatorHarness.of<I, O>((input) => input.process<O>(fn), options);
  }

  /** A map function. */
  static map<I, O>(fn: MapFunction<I, O>, options?: HarnessOptions): Promise<OperatorHarness<I, O>> {
    return OperatorHarness.of<I, O>((input) => input.map(fn), options);
  }

  /** A flatMap function. */
  static flatMap<I, O>(fn: FlatMapFunction<I, O>, options?: HarnessOptions): Promise<OperatorHarness<I, O>> {
    return OperatorHarness.of<I, O>((input) => input.flatMap<O>(fn), options);
  }

  private readonly planned: PlannedNode;
  private readonly operator: StreamOperator<I, O>;
  private readonly time: RecordTime = { timestamp: NO_TIMESTAMP };
  private readonly files = new MemorySnapshotFiles();
  /** Where the operator emits. */
  private readonly emitter = new HarnessOutput<O>(this.time);
  private backend: LmdbKeyedStateBackend | undefined;

  private constructor(
    private readonly built: BuiltOperator,
    private readonly clock: ManualProcessingTime,
    private readonly dir: string,
    private readonly restore: HarnessSnapshot | undefined,
  ) {
    this.planned = built.planned;
    this.operator = built.operator as StreamOperator<I, O>;
    this.lastCheckpointId = restore?.checkpointId ?? 0;
  }

  /** Opens the keyed state (restored when asked), then the operator, as a subtask's chain opens them. */
  private async open(options: HarnessOptions): Promise<void> {
    const around: HarnessSurroundings = { dir: this.dir, clock: this.clock, time: this.time, jobName: options.jobName ?? 'harness', restore: this.restore };
    if (this.restore !== undefined) checkRestorable(this.restore, this.built);
    this.backend = await openHarnessState(this.built, around);
    const context = harnessContext(this.built, around, this.backend);
    await this.guard(NO_RECORD, () => this.operator.open?.(context, this.emitter));
  }

  /**
   * Processes one element with its event timestamp (ms), as if it arrived from upstream. Without a timestamp the
   * element has none, as behind a source without a timestamp assigner (event-time windows then refuse it).
   */
  processElement(value: I, timestamp: number = NO_TIMESTAMP): void {
    this.checkOpen('processElement');
    if (typeof timestamp !== 'number' || Number.isNaN(timestamp)) throw new RangeError(`an element's timestamp must be a number of ms, got ${String(timestamp)}`);
    this.time.timestamp = timestamp;
    this.drive(value, () => this.operator.process(value, 0));
  }

  /** Processes elements in order, each `[value, timestamp]`. */
  processElements(elements: Iterable<readonly [value: I, timestamp: number]>): void {
    for (const [value, timestamp] of elements) this.processElement(value, timestamp);
  }

  /**
   * Event time reaches `timestamp` (ms): event-time timers up to it fire (windows, onTimer), and the operator forwards
   * the watermark. A watermark equal to the current one does nothing, as in a job; a lower one is refused, since a job
   * never delivers one.
   */
  processWatermark(timestamp: number): void {
    this.checkOpen('processWatermark');
    if (typeof timestamp !== 'number' || Number.isNaN(timestamp)) throw new RangeError(`a watermark must be a number of ms, got ${String(timestamp)}`);
    if (timestamp < this.watermark) {
      throw new RangeError(`watermark ${timestamp} is behind the current watermark ${this.watermark}: event time only moves forward`);
    }
    if (timestamp === this.watermark) return;
    this.watermark = timestamp;
    const operator = this.operator;
    this.drive(NO_RECORD, () => (operator.processWatermark === undefined ? this.emitter.emitWatermark(timestamp) : operator.processWatermark(timestamp)));
  }

  /** The last watermark given to the operator (MIN_WATERMARK before the first). */
  get currentWatermark(): number {
    return this.watermark;
  }

  /** Moves the processing-time clock to `ms` and fires every processing-time timer due by then, earliest first. */
  setProcessingTime(ms: number): void {
    this.checkOpen('setProcessingTime');
    if (!Number.isFinite(ms)) throw new RangeError(`processing time must be a finite number of ms, got ${String(ms)}`);
    const now = this.clock.now();
    if (ms < now) throw new RangeError(`processing time ${ms} is before the harness's clock (${now}): the clock only moves forward`);
    this.drive(NO_RECORD, () => this.clock.advanceTo(ms));
  }

  /** Moves the processing-time clock forward by `ms` (see setProcessingTime). */
  advanceProcessingTime(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`processing time advances by a finite number of ms >= 0, got ${String(ms)}`);
    this.setProcessingTime(this.clock.now() + ms);
  }

  /** The harness's processing time (ms): what the operator's `currentProcessingTime()` returns. */
  get processingTime(): number {
    return this.clock.now();
  }

  /**
   * The input ends, as a bounded source ends: event time jumps to MAX_WATERMARK (every event-time timer fires), then
   * the operator finishes (`endInput` of keyed process functions; processing-time windows fire). Nothing may be
   * processed after it; snapshots may still be taken.
   */
  async endInput(): Promise<void> {
    this.checkOpen('endInput');
    if (this.watermark < MAX_WATERMARK) this.processWatermark(MAX_WATERMARK);
    this.state = 'ended';
    await this.guard(NO_RECORD, () => this.operator.finish?.());
  }

  /** Every record emitted on the main output so far, in order, with its timestamp. */
  output(): TimestampedValue<O>[] {
    return this.emitter.main();
  }

  /** The values of the main output so far, in order. */
  values(): O[] {
    return this.emitter.main().map((record) => record.value);
  }

  /** Every record emitted to the side output `tag` so far, in order, with its timestamp. */
  sideOutput<X>(tag: OutputTag<X>): TimestampedValue<X>[] {
    return this.emitter.side(tag);
  }

  /** The values of the side output `tag` so far, in order. */
  sideValues<X>(tag: OutputTag<X>): X[] {
    return this.sideOutput(tag).map((record) => record.value);
  }

  /** The watermarks the operator forwarded downstream, in order. */
  watermarks(): number[] {
    return this.emitter.watermarks();
  }

  /** Forgets what was collected so far (outputs, side outputs, watermarks), so that the next checks see only what follows. */
  clearOutput(): void {
    this.emitter.clear();
  }

  /**
   * Late elements the operator dropped because no side output takes them (a window without `sideOutputLateData`);
   * a job counts them in `weir_late_records_dropped_total`.
   */
  get lateRecordsDropped(): number {
    return this.operator.lateRecordsDropped ?? 0;
  }

  /**
   * The keyed state `descriptor` of `key`, as a keyed function sees it while `key` is current: read it to check what
   * the function stored, or write it to set a test up. Every call on the handle runs with `key` current. Keyed
   * operators only; window contents live under their windows, not here.
   */
  keyedState<D extends AnyStateDescriptor>(key: unknown, descriptor: D): StateHandleFor<D> {
    const backend = this.backend;
    if (backend === undefined) throw new WeirError(`keyedState: '${this.planned.name}' is not keyed (build it after keyBy)`);
    if (this.state === 'closed') throw new WeirError('keyedState: the harness is closed');
    const handle = backend.getState(descriptor);
    return new Proxy(handle, {
      get(target, property) {
        const member: unknown = Reflect.get(target, property);
        if (typeof member !== 'function') return member;
        return (...args: unknown[]) => {
          backend.setCurrentKey(key);
          backend.setCurrentNamespace(VOID_NAMESPACE);
          return (member as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  /**
   * Takes a checkpoint of the operator now, between two calls as a subtask does at a barrier: its keyed state with
   * its timers, and its own state. The harness goes on unchanged; pass the snapshot to a new harness's `restore`.
   */
  async snapshot(): Promise<HarnessSnapshot> {
    if (this.state === 'closed') throw new WeirError('the harness is closed: take the snapshot before close()');
    const checkpointId = ++this.lastCheckpointId;
    const { planned, backend, operator, files } = this;
    let keyed: HarnessSnapshot['keyed'];
    let operatorState: unknown;
    await this.guard(NO_RECORD, async () => {
      const written = backend === undefined ? undefined : writeKeyedSnapshot(backend, files, checkpointId, 'keyed.snap', false);
      // Awaited below; a failing snapshotState must not leave it unhandled meanwhile.
      written?.catch(() => {});
      operatorState = await operator.snapshotState?.(checkpointId, files.forOperator(checkpointId));
      keyed = (await written)?.file;
    });
    return new HarnessSnapshot(checkpointId, planned.operatorId, this.built.maxParallelism, keyed, operatorState, files);
  }

  /** Closes the operator and its state and removes the harness's temporary directory. Safe to call twice. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clock.clear();
    try {
      await this.guard(NO_RECORD, () => this.operator.close?.());
    } finally {
      await this.backend?.close();
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  private checkOpen(action: string): void {
    if (this.state === 'closed') throw new WeirError(`${action}: the harness is closed`);
    if (this.state === 'ended') throw new WeirError(`${action}: the input has ended (endInput was called)`);
  }

  /** Runs one step as a subtask runs a batch: the operator's work, then its end-of-batch hook. */
  private drive(record: unknown, step: () => void): void {
    try {
      step();
      const pending = this.operator.endOfBatch?.();
      if (pending instanceof Promise) throw new WeirError('the operator waits at the end of a batch: the harness runs operators that finish each step at once');
    } catch (error) {
      throw this.failure(error, record);
    }
  }

  private async guard(record: unknown, action: () => unknown): Promise<void> {
    try {
      await action();
    } catch (error) {
      throw this.failure(error, record);
    }
  }

  /** A failure as the job reports it: an OperatorError naming the operator (and the record, when there is one). */
  private failure(error: unknown, record: unknown): Error {
    return error instanceof OperatorError ? error : operatorFailure(this.planned, 0, error, record);
  }
}

import type { Collector, KeyedEndOfInputContext, OnTimerContext } from './functions.ts';
import type { KeyedStateBackend } from '../state/backend.ts';
import type { OperatorContext, OperatorOutput, StreamOperator } from './operator.ts';
import { KeyedContextImpl, guarded } from './keyed-context.ts';
import { NO_RECORD } from '../core/time.ts';
import type { RuntimeContext } from '../core/runtime-context.ts';

/** The user hooks a keyed (co-)process function may have besides its element methods. */
export interface KeyedFunctionHooks<K, O> {
  open?(ctx: RuntimeContext): void | Promise<void>;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
  endInput?(ctx: KeyedEndOfInputContext<K>, out: Collector<O>): void;
  close?(): void | Promise<void>;
}

/**
 * What keyed process and keyed co-process operators share: the keyed context with its timers, watermarks firing
 * event-time timers, endInput at the end of input. Subclasses only route elements to the user function.
 */
export abstract class KeyedFunctionOperator<K, I, O> implements StreamOperator<I, O> {
  protected op!: OperatorContext;
  protected backend!: KeyedStateBackend;
  protected context!: KeyedContextImpl<K>;
  protected collector!: Collector<O>;
  private out!: OperatorOutput<O>;

  constructor(private readonly hooks: KeyedFunctionHooks<K, O>) {}

  abstract process(record: I, input: number): void;

  async open(ctx: OperatorContext, output: OperatorOutput<O>): Promise<void> {
    if (ctx.keyedState === undefined) throw new Error(`operator '${ctx.operatorName}' is keyed but has no keyed state`);
    this.op = ctx;
    this.out = output;
    this.backend = ctx.keyedState;
    this.collector = output;
    const hooks = this.hooks;
    const onTimer = hooks.onTimer;
    this.context = new KeyedContextImpl<K>(
      ctx,
      output as OperatorOutput<unknown>,
      this.backend,
      onTimer === undefined ? undefined : (timestamp, timerContext) => onTimer.call(hooks, timestamp, timerContext, output),
    );
    await hooks.open?.(ctx);
  }

  processWatermark(timestamp: number): void {
    guarded(this.op, NO_RECORD, () => this.context.timers.advanceWatermark(timestamp));
    this.out.emitWatermark(timestamp);
  }

  /** As in Flink, pending processing-time timers do not fire at the end of input; endInput is the place for that. */
  finish(): void {
    const hooks = this.hooks;
    guarded(this.op, NO_RECORD, () => hooks.endInput?.call(hooks, this.context.endOfInput(), this.collector));
  }

  async close(): Promise<void> {
    await this.hooks.close?.();
  }
}

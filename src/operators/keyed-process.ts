import type { Collector, KeyedProcessFunction, KeySelector } from '../api/functions.ts';
import type { KeyedStateBackend } from '../state/backend.ts';
import type { OperatorContext, OperatorFactory, OperatorOutput, StreamOperator } from './operator.ts';
import { NO_RECORD } from '../runtime/chain.ts';
import { processHandlers } from './process.ts';
import { KeyedContextImpl, guarded } from './keyed-context.ts';
import { VOID_NAMESPACE } from '../state/backend.ts';

/** Runs a keyed process function: sets the current key, then calls the user function; fires its timers. */
class KeyedProcessOperator<K, I, O> implements StreamOperator<I, O> {
  private readonly handlers: Exclude<KeyedProcessFunction<K, I, O>, (...args: never[]) => void>;
  private op!: OperatorContext;
  private out!: OperatorOutput<O>;
  private backend!: KeyedStateBackend;
  private context!: KeyedContextImpl<K>;
  private collector!: Collector<O>;

  constructor(
    private readonly keySelector: KeySelector<I, K>,
    fn: KeyedProcessFunction<K, I, O>,
  ) {
    this.handlers = processHandlers(fn);
  }

  async open(ctx: OperatorContext, output: OperatorOutput<O>): Promise<void> {
    if (ctx.keyedState === undefined) throw new Error(`operator '${ctx.operatorName}' is keyed but has no keyed state`);
    this.op = ctx;
    this.out = output;
    this.backend = ctx.keyedState;
    this.collector = output;
    const onTimer = this.handlers.onTimer;
    this.context = new KeyedContextImpl<K>(
      ctx,
      output as OperatorOutput<unknown>,
      this.backend,
      onTimer === undefined ? undefined : (timestamp, timerContext) => onTimer.call(this.handlers, timestamp, timerContext, this.collector),
    );
    await this.handlers.open?.(ctx);
  }

  process(record: I): void {
    try {
      this.backend.setCurrentKey(this.keySelector(record));
      this.backend.setCurrentNamespace(VOID_NAMESPACE);
      this.handlers.processElement(record, this.context, this.collector);
    } catch (error) {
      throw this.op.fail(error, record);
    }
  }

  processWatermark(timestamp: number): void {
    guarded(this.op, NO_RECORD, () => this.context.timers.advanceWatermark(timestamp));
    this.out.emitWatermark(timestamp);
  }

  finish(): void {
    // As in Flink, pending processing-time timers do not fire at the end of input; endInput is the place for that.
    guarded(this.op, NO_RECORD, () => this.handlers.endInput?.call(this.handlers, this.context.endOfInput(), this.collector));
  }

  async close(): Promise<void> {
    await this.handlers.close?.();
  }
}

export const keyedProcessOperator = <K, I, O>(
  keySelector: KeySelector<I, K>,
  fn: KeyedProcessFunction<K, I, O>,
): OperatorFactory => () => new KeyedProcessOperator(keySelector, fn) as StreamOperator;

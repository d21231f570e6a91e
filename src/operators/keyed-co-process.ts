import type { Collector, KeyedCoProcessFunction, KeySelector } from '../api/functions.ts';
import type { KeyedStateBackend } from '../state/backend.ts';
import type { OperatorContext, OperatorFactory, OperatorOutput, StreamOperator } from './operator.ts';
import { NO_RECORD } from '../runtime/chain.ts';
import { KeyedContextImpl, guarded } from './keyed-context.ts';
import { VOID_NAMESPACE } from '../state/backend.ts';

/** Two keyed inputs into one function with shared per-key state and timers (Flink's KeyedCoProcessOperator). */
class KeyedCoProcessOperator<K, I1, I2, O> implements StreamOperator<I1 | I2, O> {
  private op!: OperatorContext;
  private out!: OperatorOutput<O>;
  private backend!: KeyedStateBackend;
  private context!: KeyedContextImpl<K>;
  private collector!: Collector<O>;

  constructor(
    private readonly keySelector1: KeySelector<I1, K>,
    private readonly keySelector2: KeySelector<I2, K>,
    private readonly fn: KeyedCoProcessFunction<K, I1, I2, O>,
  ) {}

  async open(ctx: OperatorContext, output: OperatorOutput<O>): Promise<void> {
    if (ctx.keyedState === undefined) throw new Error(`operator '${ctx.operatorName}' is keyed but has no keyed state`);
    this.op = ctx;
    this.out = output;
    this.backend = ctx.keyedState;
    this.collector = output;
    const fn = this.fn;
    this.context = new KeyedContextImpl<K>(
      ctx,
      output as OperatorOutput<unknown>,
      this.backend,
      fn.onTimer === undefined ? undefined : (timestamp, timerContext) => fn.onTimer!(timestamp, timerContext, this.collector),
    );
    await fn.open?.(ctx);
  }

  process(record: I1 | I2, input: number): void {
    try {
      if (input === 0) {
        this.backend.setCurrentKey(this.keySelector1(record as I1));
        this.backend.setCurrentNamespace(VOID_NAMESPACE);
        this.fn.processElement1(record as I1, this.context, this.collector);
      } else {
        this.backend.setCurrentKey(this.keySelector2(record as I2));
        this.backend.setCurrentNamespace(VOID_NAMESPACE);
        this.fn.processElement2(record as I2, this.context, this.collector);
      }
    } catch (error) {
      throw this.op.fail(error, record);
    }
  }

  processWatermark(timestamp: number): void {
    guarded(this.op, NO_RECORD, () => this.context.timers.advanceWatermark(timestamp));
    this.out.emitWatermark(timestamp);
  }

  finish(): void {
    guarded(this.op, NO_RECORD, () => this.fn.endInput?.(this.context.endOfInput(), this.collector));
  }

  async close(): Promise<void> {
    await this.fn.close?.();
  }
}

export const keyedCoProcessOperator = <K, I1, I2, O>(
  keySelector1: KeySelector<I1, K>,
  keySelector2: KeySelector<I2, K>,
  fn: KeyedCoProcessFunction<K, I1, I2, O>,
): OperatorFactory => () => new KeyedCoProcessOperator(keySelector1, keySelector2, fn) as StreamOperator;

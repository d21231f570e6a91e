import type { KeySelector } from './functions.ts';
import { faultPoint } from '../core/fault-points.ts';
import { ValueStateDescriptor, type ValueState } from '../state/descriptors.ts';
import type { KeyedStateBackend } from '../state/backend.ts';
import type { OperatorContext, OperatorFactory, OperatorOutput, StreamOperator } from './operator.ts';
import type { ReduceFunction } from '../state/descriptors.ts';

/** Flink's KeyedStream.reduce: keeps one accumulated value per key and emits it after every record. */
class KeyedReduceOperator<K, T> implements StreamOperator<T, T> {
  private op!: OperatorContext;
  private out!: OperatorOutput<T>;
  private backend!: KeyedStateBackend;
  private accumulated!: ValueState<T>;

  constructor(
    private readonly keySelector: KeySelector<T, K>,
    private readonly reduce: ReduceFunction<T>,
  ) {}

  open(ctx: OperatorContext, output: OperatorOutput<T>): void {
    if (ctx.keyedState === undefined) throw new Error(`operator '${ctx.operatorName}' is keyed but has no keyed state`);
    this.op = ctx;
    this.out = output;
    this.backend = ctx.keyedState;
    this.accumulated = this.backend.getState(new ValueStateDescriptor<T>('reduce'));
  }

  process(record: T): void {
    let next: T;
    try {
      faultPoint('user-function');
      this.backend.setCurrentKey(this.keySelector(record));
      const previous = this.accumulated.value();
      next = previous === undefined ? record : this.reduce(previous, record);
    } catch (error) {
      throw this.op.fail(error, record);
    }
    this.accumulated.update(next);
    this.out.collect(next);
  }
}

export const keyedReduceOperator = <K, T>(keySelector: KeySelector<T, K>, reduce: ReduceFunction<T>): OperatorFactory =>
  () => new KeyedReduceOperator(keySelector, reduce) as StreamOperator;

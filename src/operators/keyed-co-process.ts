import type { KeyedCoProcessFunction, KeySelector } from './functions.ts';
import type { OperatorFactory, StreamOperator } from './operator.ts';
import { KeyedFunctionOperator } from './keyed-function-operator.ts';
import { VOID_NAMESPACE } from '../state/backend.ts';

/** Two keyed inputs into one function with shared per-key state and timers (Flink's KeyedCoProcessOperator). */
class KeyedCoProcessOperator<K, I1, I2, O> extends KeyedFunctionOperator<K, I1 | I2, O> {
  constructor(
    private readonly keySelector1: KeySelector<I1, K>,
    private readonly keySelector2: KeySelector<I2, K>,
    private readonly fn: KeyedCoProcessFunction<K, I1, I2, O>,
  ) {
    super(fn);
  }

  process(record: I1 | I2, input: number): void {
    try {
      const first = input === 0;
      this.backend.setCurrentKey(first ? this.keySelector1(record as I1) : this.keySelector2(record as I2));
      this.backend.setCurrentNamespace(VOID_NAMESPACE);
      if (first) this.fn.processElement1(record as I1, this.context, this.collector);
      else this.fn.processElement2(record as I2, this.context, this.collector);
    } catch (error) {
      throw this.op.fail(error, record);
    }
  }
}

export const keyedCoProcessOperator = <K, I1, I2, O>(
  keySelector1: KeySelector<I1, K>,
  keySelector2: KeySelector<I2, K>,
  fn: KeyedCoProcessFunction<K, I1, I2, O>,
): OperatorFactory => () => new KeyedCoProcessOperator(keySelector1, keySelector2, fn) as StreamOperator;

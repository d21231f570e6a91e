import type { KeyedProcessFunction, KeySelector } from './functions.ts';
import { faultPoint } from '../core/fault-points.ts';
import type { OperatorFactory, StreamOperator } from './operator.ts';
import { processHandlers } from './process.ts';
import { KeyedFunctionOperator } from './keyed-function-operator.ts';
import { VOID_NAMESPACE } from '../state/backend.ts';

type Handlers<K, I, O> = Exclude<KeyedProcessFunction<K, I, O>, (...args: never[]) => void>;

/** Runs a keyed process function: sets the current key, then calls the user function. */
class KeyedProcessOperator<K, I, O> extends KeyedFunctionOperator<K, I, O> {
  constructor(
    private readonly keySelector: KeySelector<I, K>,
    private readonly handlers: Handlers<K, I, O>,
  ) {
    super(handlers);
  }

  process(record: I): void {
    try {
      faultPoint('user-function');
      this.backend.setCurrentKey(this.keySelector(record));
      this.backend.setCurrentNamespace(VOID_NAMESPACE);
      this.handlers.processElement(record, this.context, this.collector);
    } catch (error) {
      throw this.op.fail(error, record);
    }
  }
}

export const keyedProcessOperator = <K, I, O>(
  keySelector: KeySelector<I, K>,
  fn: KeyedProcessFunction<K, I, O>,
): OperatorFactory => () => new KeyedProcessOperator(keySelector, processHandlers(fn) as Handlers<K, I, O>) as StreamOperator;

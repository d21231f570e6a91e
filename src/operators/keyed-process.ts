import type {
  Collector,
  KeyedEndOfInputContext,
  KeyedProcessContext,
  KeyedProcessFunction,
  KeySelector,
} from '../api/functions.ts';
import type { StateDescriptor, StateHandleFor } from '../state/descriptors.ts';
import type { KeyedStateBackend } from '../state/backend.ts';
import type { OperatorContext, OperatorFactory, OperatorOutput, StreamOperator } from './operator.ts';
import { ProcessContextImpl, processHandlers } from './process.ts';

class KeyedContextImpl<K> extends ProcessContextImpl implements KeyedProcessContext<K> {
  private readonly handles = new Map<StateDescriptor<unknown>, unknown>();
  constructor(
    op: OperatorContext,
    out: OperatorOutput<unknown>,
    private readonly backend: KeyedStateBackend,
  ) {
    super(op, out);
  }
  get currentKey(): K {
    return this.backend.currentKey as K;
  }
  getState<D extends StateDescriptor<unknown>>(descriptor: D): StateHandleFor<D> {
    let handle = this.handles.get(descriptor);
    if (handle === undefined) {
      handle = this.backend.valueState(descriptor.name);
      this.handles.set(descriptor, handle);
    }
    return handle as StateHandleFor<D>;
  }
}

/** Runs a keyed process function: sets the current key, then calls the user function. */
class KeyedProcessOperator<K, I, O> implements StreamOperator<I, O> {
  private readonly handlers: Exclude<KeyedProcessFunction<K, I, O>, (...args: never[]) => void>;
  private op!: OperatorContext;
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
    this.backend = ctx.keyedState;
    this.context = new KeyedContextImpl<K>(ctx, output as OperatorOutput<unknown>, this.backend);
    this.collector = output;
    await this.handlers.open?.(ctx);
  }

  process(record: I): void {
    try {
      this.backend.setCurrentKey(this.keySelector(record));
      this.handlers.processElement(record, this.context, this.collector);
    } catch (error) {
      throw this.op.fail(error, record);
    }
  }

  finish(): void {
    const endInput = this.handlers.endInput;
    if (endInput === undefined) return;
    const context = this.context;
    const backend = this.backend;
    const endContext: KeyedEndOfInputContext<K> = {
      jobName: context.jobName,
      operatorName: context.operatorName,
      subtaskIndex: context.subtaskIndex,
      parallelism: context.parallelism,
      threadId: context.threadId,
      applyToAllKeys(fn) {
        for (const key of [...backend.keys()]) {
          backend.setCurrentKey(key);
          fn(key as K, context);
        }
      },
    };
    endInput.call(this.handlers, endContext, this.collector);
  }

  async close(): Promise<void> {
    await this.handlers.close?.();
  }
}

export const keyedProcessOperator = <K, I, O>(
  keySelector: KeySelector<I, K>,
  fn: KeyedProcessFunction<K, I, O>,
): OperatorFactory => () => new KeyedProcessOperator(keySelector, fn) as StreamOperator;

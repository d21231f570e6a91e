import type { Collector, ProcessContext, ProcessFunction } from './functions.ts';
import { faultPoint } from '../core/fault-points.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type { OperatorContext, OperatorFactory, OperatorOutput, StreamOperator } from './operator.ts';

/** Normalises the function-or-object forms of process functions. */
export function processHandlers<F extends (...args: never[]) => void, H extends { processElement: F }>(
  fn: F | H,
): H {
  return (typeof fn === 'function' ? { processElement: fn } : fn) as H;
}

/** The context a process function sees; one instance per subtask, reused for every record. */
export class ProcessContextImpl implements ProcessContext {
  constructor(
    protected readonly op: OperatorContext,
    protected readonly out: OperatorOutput<unknown>,
  ) {}
  get jobName(): string {
    return this.op.jobName;
  }
  get operatorName(): string {
    return this.op.operatorName;
  }
  get subtaskIndex(): number {
    return this.op.subtaskIndex;
  }
  get parallelism(): number {
    return this.op.parallelism;
  }
  get threadId(): number {
    return this.op.threadId;
  }
  get timestamp(): number {
    return this.op.time.timestamp;
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.out.emitSide(tag.id, value);
  }
}

class ProcessOperator<I, O> implements StreamOperator<I, O> {
  private readonly handlers: Exclude<ProcessFunction<I, O>, (...args: never[]) => void>;
  private op!: OperatorContext;
  private context!: ProcessContextImpl;
  private collector!: Collector<O>;

  constructor(fn: ProcessFunction<I, O>) {
    this.handlers = processHandlers(fn);
  }

  async open(ctx: OperatorContext, output: OperatorOutput<O>): Promise<void> {
    this.op = ctx;
    this.context = new ProcessContextImpl(ctx, output as OperatorOutput<unknown>);
    this.collector = output;
    await this.handlers.open?.(ctx);
  }

  process(record: I): void {
    try {
      faultPoint('user-function');
      this.handlers.processElement(record, this.context, this.collector);
    } catch (error) {
      throw this.op.fail(error, record);
    }
  }

  async close(): Promise<void> {
    await this.handlers.close?.();
  }
}

export const processOperator = <I, O>(fn: ProcessFunction<I, O>): OperatorFactory => () =>
  new ProcessOperator(fn) as StreamOperator;

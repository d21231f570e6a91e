import type { FilterFunction, FlatMapFunction, MapFunction } from './functions.ts';
import { faultPoint } from '../core/fault-points.ts';
import type { OperatorContext, OperatorFactory, OperatorOutput, StreamOperator } from './operator.ts';

/** Shared open(): every chained stateless operator keeps its context and output. */
abstract class ChainedOperator<I, O> implements StreamOperator<I, O> {
  protected ctx!: OperatorContext;
  protected out!: OperatorOutput<O>;
  open(ctx: OperatorContext, output: OperatorOutput<O>): void {
    this.ctx = ctx;
    this.out = output;
  }
  abstract process(record: I): void;
}

class MapOperator<I, O> extends ChainedOperator<I, O> {
  constructor(private readonly fn: MapFunction<I, O>) {
    super();
  }
  process(record: I): void {
    let result: O;
    try {
      faultPoint('user-function');
      result = this.fn(record);
    } catch (error) {
      throw this.ctx.fail(error, record);
    }
    this.out.collect(result);
  }
}

class FilterOperator<T> extends ChainedOperator<T, T> {
  constructor(private readonly fn: FilterFunction<T>) {
    super();
  }
  process(record: T): void {
    let keep: boolean;
    try {
      faultPoint('user-function');
      keep = this.fn(record);
    } catch (error) {
      throw this.ctx.fail(error, record);
    }
    if (keep) this.out.collect(record);
  }
}

class FlatMapOperator<I, O> extends ChainedOperator<I, O> {
  constructor(private readonly fn: FlatMapFunction<I, O>) {
    super();
  }
  process(record: I): void {
    try {
      faultPoint('user-function');
      const result = this.fn(record, this.out);
      if (result !== undefined) for (const item of result) this.out.collect(item);
    } catch (error) {
      throw this.ctx.fail(error, record);
    }
  }
}

export const mapOperator = <I, O>(fn: MapFunction<I, O>): OperatorFactory => () => new MapOperator(fn) as StreamOperator;
export const filterOperator = <T>(fn: FilterFunction<T>): OperatorFactory => () => new FilterOperator(fn) as StreamOperator;
export const flatMapOperator = <I, O>(fn: FlatMapFunction<I, O>): OperatorFactory => () =>
  new FlatMapOperator(fn) as StreamOperator;

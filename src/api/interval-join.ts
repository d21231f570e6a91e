import type { KeySelector } from './functions.ts';
import type { LogicalGraph } from './graph.ts';
import type { OutputTag } from './output-tag.ts';
import { type SingleOutputStream, type StreamOrigin, appendOperator, inputOf } from './data-stream.ts';
import { type IntervalJoinFunction, intervalJoinOperator } from '../operators/join/interval-join.ts';

/** `left.keyBy(k).intervalJoin(right.keyBy(k)).between(lower, upper)`: right.ts - left.ts within [lower, upper]. */
export class IntervalJoin<L, R, K> {
  /** @internal */
  constructor(
    private readonly graph: LogicalGraph,
    private readonly left: StreamOrigin,
    private readonly right: StreamOrigin,
    private readonly leftKey: KeySelector<L, K>,
    private readonly rightKey: KeySelector<R, K>,
  ) {}

  between(lowerMs: number, upperMs: number): IntervalJoined<L, R, K> {
    if (!(Number.isFinite(lowerMs) && Number.isFinite(upperMs) && lowerMs <= upperMs)) {
      throw new RangeError(`interval join bounds must be finite with lower <= upper, got [${lowerMs}, ${upperMs}]`);
    }
    return new IntervalJoined(this.graph, this.left, this.right, this.leftKey, this.rightKey, lowerMs, upperMs);
  }
}

export class IntervalJoined<L, R, K> {
  private leftLateTag: OutputTag<L> | undefined;
  private rightLateTag: OutputTag<R> | undefined;

  /** @internal */
  constructor(
    private readonly graph: LogicalGraph,
    private readonly left: StreamOrigin,
    private readonly right: StreamOrigin,
    private readonly leftKey: KeySelector<L, K>,
    private readonly rightKey: KeySelector<R, K>,
    private readonly lowerMs: number,
    private readonly upperMs: number,
  ) {}

  /** Left elements behind the watermark on arrival go here instead of being dropped. */
  sideOutputLeftLateData(tag: OutputTag<L>): this {
    this.leftLateTag = tag;
    return this;
  }

  sideOutputRightLateData(tag: OutputTag<R>): this {
    this.rightLateTag = tag;
    return this;
  }

  process<O>(fn: IntervalJoinFunction<L, R, O>): SingleOutputStream<O> {
    const inputs = [inputOf(this.left, 0), inputOf(this.right, 1)];
    return appendOperator<O>(
      this.graph,
      inputs,
      'interval-join',
      intervalJoinOperator({
        leftKey: this.leftKey,
        rightKey: this.rightKey,
        lowerMs: this.lowerMs,
        upperMs: this.upperMs,
        fn,
        leftLateTag: this.leftLateTag,
        rightLateTag: this.rightLateTag,
      }),
      this.leftKey as KeySelector<unknown, unknown>,
      false,
    );
  }
}

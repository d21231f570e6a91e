import type { KeySelector, UndeclaredOutput } from '../operators/functions.ts';
import type { LogicalGraph } from './graph.ts';
import type { OutputTag } from '../core/output-tag.ts';
import { type SingleOutputStream, type StreamOrigin, appendOperator, inputOf } from './data-stream.ts';
import { type IntervalJoinFunction, intervalJoinOperator } from '../operators/join/interval-join.ts';

/** The two keyed inputs of an interval join. */
export interface JoinSides<L, R, K> {
  readonly graph: LogicalGraph;
  readonly left: StreamOrigin;
  readonly right: StreamOrigin;
  readonly leftKey: KeySelector<L, K>;
  readonly rightKey: KeySelector<R, K>;
}

/** `left.keyBy(k).intervalJoin(right.keyBy(k)).between(lower, upper)`: right.ts - left.ts within [lower, upper]. */
export class IntervalJoin<L, R, K> {
  /** @internal */
  constructor(private readonly sides: JoinSides<L, R, K>) {}

  between(lowerMs: number, upperMs: number): IntervalJoined<L, R, K> {
    if (!(Number.isFinite(lowerMs) && Number.isFinite(upperMs) && lowerMs <= upperMs)) {
      throw new RangeError(`interval join bounds must be finite with lower <= upper, got [${lowerMs}, ${upperMs}]`);
    }
    return new IntervalJoined(this.sides, lowerMs, upperMs);
  }
}

export class IntervalJoined<L, R, K> {
  private leftLateTag: OutputTag<L> | undefined;
  private rightLateTag: OutputTag<R> | undefined;

  /** @internal */
  constructor(
    private readonly sides: JoinSides<L, R, K>,
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

  process<O = UndeclaredOutput>(fn: IntervalJoinFunction<L, R, O>): SingleOutputStream<O> {
    const { graph, left, right, leftKey, rightKey } = this.sides;
    return appendOperator<O>(
      graph,
      [inputOf(left, 0), inputOf(right, 1)],
      'interval-join',
      intervalJoinOperator({
        leftKey,
        rightKey,
        lowerMs: this.lowerMs,
        upperMs: this.upperMs,
        fn,
        leftLateTag: this.leftLateTag,
        rightLateTag: this.rightLateTag,
      }),
      leftKey as KeySelector<unknown, unknown>,
      false,
    );
  }
}

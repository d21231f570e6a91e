import type { Collector, KeySelector, UndeclaredOutput } from '../operators/functions.ts';
import type { DataStream, SingleOutputStream } from './data-stream.ts';
import type { WindowAssigner } from '../operators/window/assigners.ts';
import type { Trigger } from '../operators/window/triggers.ts';
import type { Window } from '../operators/window/windows.ts';
import type { WindowContext } from '../operators/window/window-operator.ts';

/** A record of either side of a window join, tagged with its side (the join runs as one keyed window). */
interface Tagged<L, R> {
  readonly side: 0 | 1;
  readonly value: L | R;
}

export type JoinFunction<L, R, O> = (left: L, right: R, out: Collector<O>, window: WindowContext<Window>) => void;

/** Flink's window join: `a.join(b).where(keyA).equalTo(keyB).window(assigner).apply(fn)` (inner join). */
export class JoinedStreams<L, R> {
  /** @internal */
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
  ) {}

  where<K>(leftKey: KeySelector<L, K>): { equalTo(rightKey: KeySelector<R, K>): JoinWhereEqual<L, R, K> } {
    return { equalTo: (rightKey) => new JoinWhereEqual(this.left, this.right, leftKey, rightKey) };
  }
}

export class JoinWhereEqual<L, R, K> {
  /** @internal */
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly leftKey: KeySelector<L, K>,
    private readonly rightKey: KeySelector<R, K>,
  ) {}

  window<W extends Window>(assigner: WindowAssigner<W>): WindowJoin<L, R, K, W> {
    return new WindowJoin(this.left, this.right, this.leftKey, this.rightKey, assigner);
  }
}

export class WindowJoin<L, R, K, W extends Window> {
  private joinTrigger: Trigger<unknown, W> | undefined;
  private lateness = 0;

  /** @internal */
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly leftKey: KeySelector<L, K>,
    private readonly rightKey: KeySelector<R, K>,
    private readonly assigner: WindowAssigner<W>,
  ) {}

  trigger(trigger: Trigger<unknown, W>): this {
    this.joinTrigger = trigger;
    return this;
  }

  allowedLateness(ms: number): this {
    this.lateness = ms;
    return this;
  }

  /** Calls `fn` for every pair of a left and a right element with equal keys in the same window. */
  apply<O = UndeclaredOutput>(fn: JoinFunction<L, R, O>): SingleOutputStream<O> {
    const { leftKey, rightKey } = this;
    const tagLeft = this.left.map((value): Tagged<L, R> => ({ side: 0, value })).name('join-left');
    const tagRight = this.right.map((value): Tagged<L, R> => ({ side: 1, value })).name('join-right');
    let windowed = tagLeft
      .union(tagRight)
      .keyBy((tagged) => (tagged.side === 0 ? leftKey(tagged.value as L) : rightKey(tagged.value as R)))
      .window(this.assigner)
      .allowedLateness(this.lateness);
    if (this.joinTrigger !== undefined) windowed = windowed.trigger(this.joinTrigger as Trigger<Tagged<L, R>, W>);
    return windowed
      .process<O>((_key, context, elements, out) => {
        const rights = elements.filter((tagged) => tagged.side === 1);
        for (const left of elements) {
          if (left.side !== 0) continue;
          for (const right of rights) fn(left.value as L, right.value as R, out, context as WindowContext<Window>);
        }
      })
      .name('window-join');
  }
}

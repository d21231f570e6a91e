import type { OutputTag } from '../core/output-tag.ts';
import type { OperatorOutput, RecordTime } from '../operators/operator.ts';

/** A record the operator emitted, with the event timestamp it carries downstream (NO_TIMESTAMP when it has none). */
export interface TimestampedValue<T> {
  readonly value: T;
  readonly timestamp: number;
}

/**
 * Where the operator under test emits: every record kept with the record time of the moment (what a record writer
 * would send along), side outputs by tag id whether or not a stream reads them, and forwarded watermarks.
 */
export class HarnessOutput<O> implements OperatorOutput<O> {
  private readonly records: TimestampedValue<O>[] = [];
  private readonly sides = new Map<string, TimestampedValue<unknown>[]>();
  private readonly forwarded: number[] = [];

  constructor(private readonly time: RecordTime) {}

  readonly collect = (record: O): void => {
    this.records.push({ value: record, timestamp: this.time.timestamp });
  };

  readonly emitSide = (tagId: string, record: unknown): void => {
    let list = this.sides.get(tagId);
    if (list === undefined) this.sides.set(tagId, (list = []));
    list.push({ value: record, timestamp: this.time.timestamp });
  };

  readonly emitWatermark = (timestamp: number): void => {
    this.forwarded.push(timestamp);
  };

  main(): TimestampedValue<O>[] {
    return [...this.records];
  }

  side<X>(tag: OutputTag<X>): TimestampedValue<X>[] {
    return [...((this.sides.get(tag.id) ?? []) as TimestampedValue<X>[])];
  }

  watermarks(): number[] {
    return [...this.forwarded];
  }

  clear(): void {
    this.records.length = 0;
    this.sides.clear();
    this.forwarded.length = 0;
  }
}

import type { Trigger } from './triggers.ts';
import { EndOfStreamTrigger, EventTimeTrigger, ProcessingTimeTrigger } from './triggers.ts';
import {
  type GlobalWindow,
  type TimeWindow,
  type Window,
  type WindowCodec,
  GLOBAL_WINDOW,
  fixedSizeCodec,
  globalCodec,
  variableSizeCodec,
} from './windows.ts';

/** Flink's WindowAssigner: which windows an element belongs to, in which time domain, and their default trigger. */
export interface WindowAssigner<W extends Window = Window> {
  readonly eventTime: boolean;
  /** Session windows merge: the operator keeps each key's windows and merges overlapping ones. */
  readonly merging: boolean;
  readonly codec: WindowCodec<W>;
  /** `time` is the element's timestamp (event time) or the current processing time. */
  assignWindows(time: number): readonly W[];
  defaultTrigger(): Trigger<unknown, W>;
}

function checkPositive(what: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${what} must be a positive number of milliseconds, got ${value}`);
}

/** Start of the window of `size` (shifted by `offset`) that holds `timestamp`; correct for negative timestamps too. */
export function windowStart(timestamp: number, offset: number, size: number): number {
  const remainder = (timestamp - offset) % size;
  return timestamp - (remainder < 0 ? remainder + size : remainder);
}

/** The default trigger of a time window: at its end, in its time domain. */
function endOfWindowTrigger(eventTime: boolean): Trigger<unknown, TimeWindow> {
  return eventTime ? EventTimeTrigger.create() : ProcessingTimeTrigger.create();
}

abstract class TumblingWindows implements WindowAssigner<TimeWindow> {
  readonly merging = false;
  readonly codec: WindowCodec<TimeWindow>;
  protected constructor(
    readonly eventTime: boolean,
    private readonly size: number,
    private readonly offset: number,
  ) {
    checkPositive('window size', size);
    if (!(Math.abs(offset) < size)) throw new RangeError(`window offset must be smaller than the size, got ${offset}`);
    this.codec = fixedSizeCodec(size);
  }
  /** Consecutive elements mostly fall in one window: its (immutable) array is handed out again, no modulo needed. */
  private last: readonly TimeWindow[] = [];
  private lastStart = Number.NaN;
  private lastEnd = Number.NaN;
  assignWindows(time: number): readonly TimeWindow[] {
    if (time >= this.lastStart && time < this.lastEnd) return this.last;
    const start = windowStart(time, this.offset, this.size);
    this.lastStart = start;
    this.lastEnd = start + this.size;
    // The window is frozen, being handed out again; the array is not: V8 iterates plain arrays fastest.
    this.last = [Object.freeze({ start, end: this.lastEnd })];
    return this.last;
  }
  defaultTrigger(): Trigger<unknown, TimeWindow> {
    return endOfWindowTrigger(this.eventTime);
  }
}

/** Fixed-size, non-overlapping windows of event time. */
export class TumblingEventTimeWindows extends TumblingWindows {
  static of(sizeMs: number, offsetMs = 0): TumblingEventTimeWindows {
    return new TumblingEventTimeWindows(true, sizeMs, offsetMs);
  }
}

/** Fixed-size, non-overlapping windows of processing time. */
export class TumblingProcessingTimeWindows extends TumblingWindows {
  static of(sizeMs: number, offsetMs = 0): TumblingProcessingTimeWindows {
    return new TumblingProcessingTimeWindows(false, sizeMs, offsetMs);
  }
}

abstract class SlidingWindows implements WindowAssigner<TimeWindow> {
  readonly merging = false;
  readonly codec: WindowCodec<TimeWindow>;
  protected constructor(
    readonly eventTime: boolean,
    /** @internal Read by the sliced window operator. */
    readonly size: number,
    /** @internal */
    readonly slide: number,
    /** @internal */
    readonly offset: number,
  ) {
    checkPositive('window size', size);
    checkPositive('window slide', slide);
    if (!(Math.abs(offset) < slide)) throw new RangeError(`window offset must be smaller than the slide, got ${offset}`);
    this.codec = fixedSizeCodec(size);
  }
  /**
   * Consecutive elements mostly belong to the same windows: their (immutable) array is handed out again while the
   * time stays in the range where the windows are the same, as the tumbling assigner does, instead of size/slide new
   * windows per element. The range is the slide's, narrowed when the size is not a multiple of the slide.
   */
  private last: readonly TimeWindow[] = [];
  private lastFrom = Number.NaN;
  private lastUntil = Number.NaN;
  assignWindows(time: number): readonly TimeWindow[] {
    if (time >= this.lastFrom && time < this.lastUntil) return this.last;
    const { size, slide } = this;
    const latest = windowStart(time, this.offset, slide);
    const windows: TimeWindow[] = [];
    let earliest = latest;
    for (let start = latest; start > time - size; start -= slide) {
      windows.push(Object.freeze({ start, end: start + size }));
      earliest = start;
    }
    if (windows.length === 0) {
      // A slide longer than the size leaves gaps: none from the latest window's end to the next slide.
      this.lastFrom = latest + size;
      this.lastUntil = latest + slide;
    } else {
      // The same windows from the time the window before the earliest stops holding it, up to the end of the
      // earliest window and the start of the next slide.
      this.lastFrom = Math.max(latest, earliest - slide + size);
      this.lastUntil = Math.min(latest + slide, earliest + size);
    }
    this.last = windows;
    return windows;
  }
  defaultTrigger(): Trigger<unknown, TimeWindow> {
    return endOfWindowTrigger(this.eventTime);
  }
}

/** Windows of `size` starting every `slide` of event time: an element belongs to size/slide windows. */
export class SlidingEventTimeWindows extends SlidingWindows {
  static of(sizeMs: number, slideMs: number, offsetMs = 0): SlidingEventTimeWindows {
    return new SlidingEventTimeWindows(true, sizeMs, slideMs, offsetMs);
  }
}

export class SlidingProcessingTimeWindows extends SlidingWindows {
  static of(sizeMs: number, slideMs: number, offsetMs = 0): SlidingProcessingTimeWindows {
    return new SlidingProcessingTimeWindows(false, sizeMs, slideMs, offsetMs);
  }
}

abstract class SessionWindows implements WindowAssigner<TimeWindow> {
  readonly merging = true;
  readonly codec = variableSizeCodec;
  protected constructor(
    readonly eventTime: boolean,
    private readonly gap: number,
  ) {
    checkPositive('session gap', gap);
  }
  assignWindows(time: number): readonly TimeWindow[] {
    return [{ start: time, end: time + this.gap }];
  }
  defaultTrigger(): Trigger<unknown, TimeWindow> {
    return endOfWindowTrigger(this.eventTime);
  }
}

/** A window per burst of activity of a key: it closes after `gap` without elements (event time). */
export class EventTimeSessionWindows extends SessionWindows {
  static withGap(gapMs: number): EventTimeSessionWindows {
    return new EventTimeSessionWindows(true, gapMs);
  }
}

export class ProcessingTimeSessionWindows extends SessionWindows {
  static withGap(gapMs: number): ProcessingTimeSessionWindows {
    return new ProcessingTimeSessionWindows(false, gapMs);
  }
}

/** One window per key for all time; it fires on its trigger (at the end of input by default). */
export class GlobalWindows implements WindowAssigner<GlobalWindow> {
  readonly eventTime = false;
  readonly merging = false;
  readonly codec = globalCodec;
  private static readonly windows: readonly GlobalWindow[] = [GLOBAL_WINDOW];
  static create(): GlobalWindows {
    return new GlobalWindows();
  }
  assignWindows(): readonly GlobalWindow[] {
    return GlobalWindows.windows;
  }
  defaultTrigger(): Trigger<unknown, GlobalWindow> {
    return EndOfStreamTrigger.create();
  }
}

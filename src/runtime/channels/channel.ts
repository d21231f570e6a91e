import type { ChannelItem, StreamEvent } from '../messages.ts';
import type { StatsBoard } from '../stats-board.ts';

/** The sending end of a channel: batches records and sends a batch only while the receiver has granted credit. */
export interface OutputChannel {
  /** Appends a record and its event timestamp to the open batch; a full batch is closed and sent (or queued). */
  push(record: unknown, timestamp: number): void;
  /** Closes the open batch, if any. */
  flush(): void;
  /** Sends an event after everything pushed before it. */
  sendEvent(event: StreamEvent): void;
  /** True when nothing waits for credit: the producer may go on. */
  isAvailable(): boolean;
  /** True while the open batch holds records (the linger timer flushes them). */
  hasOpenBatch(): boolean;
  /** True when every batch and event has been handed to the receiver. */
  isDrained(): boolean;
  /** Called when credit arrives and queued items went out. */
  onAvailable: () => void;
  close(): void;
}

/** The receiving end: items in arrival order; `release` after a batch is processed gives its credit back. */
export interface InputChannel {
  /** Logical input of the consuming operator this channel feeds. */
  readonly inputIndex: number;
  readonly key: string;
  poll(): ChannelItem | undefined;
  /** The batch last returned by `poll` is processed. */
  release(count: number): void;
  /** Called when an item arrives. */
  onData: () => void;
  close(): void;
}

type Outgoing =
  | { readonly kind: 'batch'; readonly records: unknown[]; readonly timestamps: number[] }
  | { readonly kind: 'event'; readonly event: StreamEvent };

/**
 * Batching, credits and in-flight accounting shared by in-thread and cross-thread channels.
 * Subclasses only say how a batch or event reaches the receiver.
 */
export abstract class BatchingOutputChannel implements OutputChannel {
  onAvailable: () => void = () => {};
  private batch: unknown[] = [];
  private timestamps: number[] = [];
  private readonly waiting: Outgoing[] = [];
  private credits: number;

  constructor(
    private readonly batchSize: number,
    initialCredits: number,
    private readonly stats: StatsBoard,
    private readonly slot: number,
  ) {
    this.credits = initialCredits;
  }

  protected abstract transmitBatch(records: unknown[], timestamps: number[]): void;
  protected abstract transmitEvent(event: StreamEvent): void;
  abstract close(): void;

  push(record: unknown, timestamp: number): void {
    this.timestamps.push(timestamp);
    if (this.batch.push(record) >= this.batchSize) this.flush();
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const records = this.batch;
    const timestamps = this.timestamps;
    this.batch = [];
    this.timestamps = [];
    this.stats.addInFlight(this.slot, records.length);
    if (this.waiting.length === 0 && this.credits > 0) {
      this.credits--;
      this.transmitBatch(records, timestamps);
    } else {
      this.waiting.push({ kind: 'batch', records, timestamps });
    }
  }

  sendEvent(event: StreamEvent): void {
    this.flush();
    if (this.waiting.length === 0) this.transmitEvent(event);
    else this.waiting.push({ kind: 'event', event });
  }

  isAvailable(): boolean {
    return this.waiting.length === 0;
  }

  hasOpenBatch(): boolean {
    return this.batch.length > 0;
  }

  isDrained(): boolean {
    return this.waiting.length === 0 && this.batch.length === 0;
  }

  /** The receiver processed one batch. */
  protected addCredit(): void {
    this.credits++;
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      if (next.kind === 'batch' && this.credits === 0) return;
      // Dequeue before transmitting: a receiver in this thread may hand credit back from inside transmit.
      this.waiting.shift();
      if (next.kind === 'batch') {
        this.credits--;
        this.transmitBatch(next.records, next.timestamps);
      } else {
        this.transmitEvent(next.event);
      }
    }
    this.onAvailable();
  }
}

import type { ChannelItem, StreamEvent } from '../messages.ts';
import type { StatsBoard } from '../stats-board.ts';
import { BatchingOutputChannel, type InputChannel } from './channel.ts';
import { Fifo } from '../../core/fifo.ts';

/** Both ends in one thread: batches are handed over by reference, no serialisation. */
export class LocalChannel {
  readonly input: LocalInputChannel;
  readonly output: LocalOutputChannel;

  constructor(key: string, inputIndex: number, batchSize: number, credits: number, stats: StatsBoard, slot: number) {
    this.input = new LocalInputChannel(key, inputIndex, stats, slot);
    this.output = new LocalOutputChannel(this.input, batchSize, credits, stats, slot);
    this.input.sender = this.output;
  }
}

export class LocalOutputChannel extends BatchingOutputChannel {
  constructor(
    private readonly receiver: LocalInputChannel,
    batchSize: number,
    credits: number,
    stats: StatsBoard,
    slot: number,
  ) {
    super(batchSize, credits, stats, slot);
  }
  protected transmitBatch(records: unknown[], timestamps: number[]): void {
    this.receiver.deliver({ t: 'records', records, timestamps });
  }
  protected transmitEvent(event: StreamEvent): void {
    this.receiver.deliver(event);
  }
  /** Credit comes back by a direct call from the receiver. */
  creditReturned(): void {
    this.addCredit();
  }
  close(): void {}
}

export class LocalInputChannel implements InputChannel {
  onData: () => void = () => {};
  sender!: LocalOutputChannel;
  private readonly queue = new Fifo<ChannelItem>();

  constructor(
    readonly key: string,
    readonly inputIndex: number,
    private readonly stats: StatsBoard,
    private readonly slot: number,
  ) {}

  deliver(item: ChannelItem): void {
    this.queue.push(item);
    this.onData();
  }

  poll(): ChannelItem | undefined {
    return this.queue.shift();
  }

  release(count: number): void {
    this.stats.removeInFlight(this.slot, count);
    this.sender.creditReturned();
  }

  close(): void {}
}

import type { MessagePort } from 'node:worker_threads';
import type { ChannelItem, StreamEvent, WireMessage } from '../messages.ts';
import type { StatsBoard } from '../stats-board.ts';
import { decodeBatch, encodeBatch } from '../codec.ts';
import { BatchingOutputChannel, type InputChannel } from './channel.ts';
import { Fifo } from '../../core/fifo.ts';

/** Sending end across threads: batches are msgpackr-encoded and their buffers transferred, not copied. */
export class RemoteOutputChannel extends BatchingOutputChannel {
  constructor(
    private readonly port: MessagePort,
    batchSize: number,
    credits: number,
    stats: StatsBoard,
    slot: number,
  ) {
    super(batchSize, credits, stats, slot);
    port.on('message', (message: WireMessage) => {
      if (message.t === 'credit') this.addCredit();
    });
  }

  protected transmitBatch(records: unknown[], timestamps: number[]): void {
    const bytes = encodeBatch(records);
    const times = Float64Array.from(timestamps);
    const message: WireMessage = { t: 'batch', bytes, timestamps: times, count: records.length };
    this.port.postMessage(message, [bytes.buffer as ArrayBuffer, times.buffer]);
  }

  protected transmitEvent(event: StreamEvent): void {
    this.port.postMessage(event);
  }

  close(): void {
    this.port.close();
  }
}

/** Receiving end across threads: decodes a batch only when the subtask polls it, so decoding follows processing. */
export class RemoteInputChannel implements InputChannel {
  onData: () => void = () => {};
  private readonly queue = new Fifo<WireMessage>();

  constructor(
    readonly key: string,
    readonly inputIndex: number,
    private readonly port: MessagePort,
    private readonly stats: StatsBoard,
    private readonly slot: number,
  ) {
    port.on('message', (message: WireMessage) => {
      this.queue.push(message);
      this.onData();
    });
  }

  poll(): ChannelItem | undefined {
    const message = this.queue.shift();
    if (message === undefined) return undefined;
    if (message.t === 'batch') return { t: 'records', records: decodeBatch(message.bytes), timestamps: message.timestamps };
    if (message.t === 'credit') throw new Error(`channel ${this.key}: a credit arrived at the receiving end`);
    return message;
  }

  release(count: number): void {
    this.stats.removeInFlight(this.slot, count);
    const credit: WireMessage = { t: 'credit' };
    this.port.postMessage(credit);
  }

  close(): void {
    this.port.close();
  }
}

import { Fifo } from '../../core/fifo.ts';
import type { FetchedBatch, KafkaRecordView, PartitionFetcher, TopicPartition } from './client/index.ts';
import { partitionKey } from './client/index.ts';

/** A fetched record, or a batch's end: a batch of only transaction markers still moves the position past them. */
export type Fetched = { readonly key: string; readonly record: KafkaRecordView } | { readonly key: string; readonly upTo: number };

/**
 * The records between the client's fetches and the runtime's polls, bounded: a partition whose batch finds the buffer
 * over its bound is paused, and the paused ones resume once it is down to half.
 */
export class FetchBuffer {
  private items = new Fifo<Fetched>();
  private readonly paused = new Map<string, TopicPartition>();

  constructor(private readonly maxBuffered: number) {}

  get size(): number {
    return this.items.size;
  }

  add(batch: FetchedBatch, fetcher: PartitionFetcher | undefined): void {
    const key = partitionKey(batch);
    for (const record of batch.records) this.items.push({ key, record });
    if (this.items.size > this.maxBuffered && !this.paused.has(key)) {
      const tp = { topic: batch.topic, partition: batch.partition };
      this.paused.set(key, tp);
      fetcher?.pause([tp]);
    }
    this.items.push({ key, upTo: batch.nextOffset });
  }

  next(): Fetched | undefined {
    return this.items.shift();
  }

  resumeWhenDrained(fetcher: PartitionFetcher | undefined): void {
    if (this.paused.size === 0 || this.items.size > this.maxBuffered / 2 || fetcher === undefined) return;
    fetcher.resume([...this.paused.values()]);
    this.paused.clear();
  }

  /** Drops what is buffered (a fetch with another assignment starts over). */
  clear(): void {
    this.items = new Fifo();
    this.paused.clear();
  }
}

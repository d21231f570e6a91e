import type { TopicPartition } from './client/index.ts';
import { describeError, WeirError } from '../../core/errors.ts';
import { createLogger } from '../../observe/logger.ts';

/** Java's metadata.max.age.ms: how often a producer looks again, so that added partitions start to receive records. */
export const METADATA_MAX_AGE_MS = 5 * 60_000;

/** What the counts need of an admin client. */
export interface PartitionLookup {
  partitionsOf(topics: readonly string[]): Promise<TopicPartition[]>;
}

const log = createLogger(undefined, { component: 'kafka-sink' });

/**
 * The partition count of each topic a sink writes to, for weir's own partitioning: fetched when a topic is first
 * written (at open for a fixed topic), and again every METADATA_MAX_AGE_MS in the background. A count only grows
 * (Kafka cannot remove partitions), so a stale count sends records to fewer partitions for a while, never to one
 * that does not exist.
 */
export class PartitionCounts {
  private readonly counts = new Map<string, number>();
  private fetchedAt = Date.now();
  private refreshing: Promise<void> | undefined;

  constructor(private readonly lookup: PartitionLookup) {}

  /** The topic's partition count, if known. */
  get(topic: string): number | undefined {
    return this.counts.get(topic);
  }

  /** Fetches the counts of topics not known yet; a topic that does not exist fails with its name. */
  async fetch(topics: Iterable<string>): Promise<void> {
    const unknown = [...new Set(topics)].filter((topic) => !this.counts.has(topic));
    if (unknown.length === 0) return;
    this.record(await this.lookup.partitionsOf(unknown));
  }

  /** Starts a background refresh of every known count when they are older than METADATA_MAX_AGE_MS. */
  refreshIfStale(now = Date.now()): void {
    if (this.refreshing !== undefined || now - this.fetchedAt < METADATA_MAX_AGE_MS || this.counts.size === 0) return;
    this.refreshing = this.lookup
      .partitionsOf([...this.counts.keys()])
      .then((partitions) => this.record(partitions))
      // The old counts stay valid (counts only grow): try again at the next age.
      .catch((error: unknown) => log.warn({ err: error }, `refreshing the partition counts failed: ${describeError(error)}`))
      .finally(() => {
        this.fetchedAt = Date.now();
        this.refreshing = undefined;
      });
  }

  /** Waits for a refresh under way (closing). */
  async settled(): Promise<void> {
    await this.refreshing;
  }

  private record(partitions: readonly TopicPartition[]): void {
    const counts = new Map<string, number>();
    for (const { topic, partition } of partitions) counts.set(topic, Math.max(counts.get(topic) ?? 0, partition + 1));
    for (const [topic, count] of counts) {
      if (count < (this.counts.get(topic) ?? 0)) throw new WeirError(`Kafka topic '${topic}' now has ${count} partitions, fewer than before: was it deleted and created again?`);
      this.counts.set(topic, count);
    }
    this.fetchedAt = Date.now();
  }
}

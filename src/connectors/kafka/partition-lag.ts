import type { PartitionOffset } from './client/index.ts';
import { partitionKey } from './client/index.ts';

/** The status kind (RuntimeContext.reportStatus) of a Kafka source subtask's partitions: a KafkaPartitionsStatus. */
export const KAFKA_PARTITIONS_STATUS = 'weir.kafka-partitions';

/** One Kafka partition a source subtask reads, as measured after the last checkpoint's offset commit. */
export interface KafkaPartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The cluster of a multi-cluster source. */
  readonly cluster?: string;
  /** The offset committed to the source's group (the checkpoint's position). */
  readonly committedOffset: number;
  /**
   * The partition's end offset when measured, as the source reads: the next to be written, or for a read_committed
   * source (the default) the last stable offset, before the first record of the oldest open transaction.
   */
  readonly endOffset: number;
  /** Records between the committed offset and the end offset. */
  readonly lag: number;
  /** How long the offset commit took. */
  readonly commitLatencyMs: number;
  /** When the end offsets were measured (ms since the epoch). */
  readonly measuredAt: number;
}

/** What a Kafka source subtask reports after each offset commit. */
export interface KafkaPartitionsStatus {
  readonly groupId: string;
  readonly partitions: readonly KafkaPartitionLag[];
}

/**
 * Lag after each offset commit: the partitions' end offsets are read once per checkpoint (one admin call, off the
 * subtask's path: a measurement still running makes the next commit skip its own) and reported as a status, which
 * the job's process turns into the Kafka lag route and metrics.
 */
export class PartitionLagReporter {
  private measuring = false;

  constructor(
    private readonly groupId: string,
    private readonly cluster: string | undefined,
    private readonly endOffsets: () => Promise<Map<string, number>>,
    private readonly report: (kind: string, status: unknown) => void,
  ) {}

  /** The group's offsets were committed (in `commitLatencyMs`): measure the lag behind the end offsets. */
  committed(positions: readonly PartitionOffset[], commitLatencyMs: number): void {
    if (this.measuring) return;
    this.measuring = true;
    void this.measure(positions, commitLatencyMs).finally(() => (this.measuring = false));
  }

  private async measure(positions: readonly PartitionOffset[], commitLatencyMs: number): Promise<void> {
    let ends: Map<string, number>;
    try {
      ends = await this.endOffsets();
    } catch {
      // Lag is for watching: a cluster that does not answer now is measured at the next checkpoint.
      return;
    }
    const measuredAt = Date.now();
    const partitions = positions.map(({ topic, partition, offset }): KafkaPartitionLag => {
      const endOffset = ends.get(partitionKey({ topic, partition })) ?? offset;
      return {
        topic,
        partition,
        ...(this.cluster === undefined ? {} : { cluster: this.cluster }),
        committedOffset: offset,
        endOffset,
        lag: Math.max(0, endOffset - offset),
        commitLatencyMs,
        measuredAt,
      };
    });
    const status: KafkaPartitionsStatus = { groupId: this.groupId, partitions };
    this.report(this.cluster === undefined ? KAFKA_PARTITIONS_STATUS : `${KAFKA_PARTITIONS_STATUS}@${this.cluster}`, status);
  }
}

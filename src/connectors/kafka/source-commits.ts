import type { KafkaClient, PartitionFetcher, PartitionOffset } from './client/index.ts';
import { checkpointCommitMetadata } from './checkpoint-commits.ts';
import { createLogger } from '../../observe/logger.ts';

const log = createLogger(undefined, { component: 'kafka-source' });

/**
 * A reader's offset commits: its positions at each checkpoint, committed to the group when the checkpoint completes.
 * Offsets in Kafka are for lag and tools (the checkpoint is the truth), so a failed commit is only logged.
 */
export class SourceCommits {
  private readonly snapshots = new Map<number, readonly PartitionOffset[]>();

  constructor(
    private readonly client: KafkaClient,
    private readonly groupId: string,
    /** Told after each commit that succeeded, with its positions and how long it took (the lag route's). */
    private readonly onCommitted?: (positions: readonly PartitionOffset[], commitLatencyMs: number) => void,
  ) {}

  /** The positions that checkpoint `checkpointId` holds. */
  snapshot(checkpointId: number, positions: readonly PartitionOffset[]): void {
    this.snapshots.set(checkpointId, positions);
  }

  /** Commits the completed checkpoint's positions (older ones are dropped: the newer commit covers them). */
  async complete(checkpointId: number, fetcher: PartitionFetcher | undefined): Promise<void> {
    const positions = this.snapshots.get(checkpointId);
    for (const id of this.snapshots.keys()) if (id <= checkpointId) this.snapshots.delete(id);
    if (positions === undefined || positions.length === 0) return;
    try {
      const started = performance.now();
      await this.client.commitGroupOffsets(this.groupId, positions, checkpointCommitMetadata(checkpointId));
      this.onCommitted?.(positions, performance.now() - started);
    } catch (error) {
      log.warn({ groupId: this.groupId, checkpointId, err: error }, 'committing offsets to Kafka failed; the next checkpoint tries again');
    }
    // The fetcher's too: a fetch that the client restarts after a crash goes back no further.
    await fetcher?.savePositions(positions);
  }
}

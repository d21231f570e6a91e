import type { ReaderOutput, SourceOutput } from '../source.ts';
import { partitionKey, type KafkaAdmin, type PartitionOffset, type TopicPartition } from './client/index.ts';
import { ownerOf, type KafkaSourceOptions } from './source.ts';
import { createLogger } from '../../observe/logger.ts';

const log = createLogger(undefined, { component: 'kafka-source' });

export interface OwnedPartition<T> {
  readonly tp: TopicPartition;
  /** Its split's output, looked up once (the runtime polls into the same output every time). */
  output: SourceOutput<T> | undefined;
  /** The next offset to emit. */
  next: number;
  /** Bounded sources: the end offset found at start. */
  stopAt: number;
}

/**
 * The partitions one subtask reads (Flink's assignment, see ownerOf), each with its position: where it starts when
 * taken (a restored position, or `startFrom`), then the next offset to emit.
 */
export class SourceAssignment<T> {
  readonly owned = new Map<string, OwnedPartition<T>>();

  constructor(
    private readonly options: Pick<KafkaSourceOptions<T>, 'groupId' | 'resetTo'>,
    private readonly me: { readonly subtask: number; readonly parallelism: number },
    private readonly restored: ReadonlyMap<string, number> | undefined,
    /** Put before each partition key in split ids (a multi-cluster reader's `cluster/`). */
    private readonly splitPrefix = '',
  ) {}

  /** Takes the partitions this subtask owns and has not yet, each at its start offset; false when there were none. */
  async take(admin: KafkaAdmin, partitions: readonly TopicPartition[], startFrom: KafkaSourceOptions<T>['startFrom']): Promise<boolean> {
    const mine = partitions.filter((tp) => ownerOf(tp, this.me.parallelism) === this.me.subtask && !this.owned.has(partitionKey(tp)));
    if (mine.length === 0) return false;
    for (const topic of new Set(mine.map((tp) => tp.topic))) {
      const range = await admin.offsetRange(topic);
      const starts = await this.startOffsets(admin, topic, range, startFrom);
      for (const tp of mine.filter((candidate) => candidate.topic === topic)) {
        const key = partitionKey(tp);
        const { low, high } = range.get(tp.partition)!;
        // Restored positions win; a position the broker no longer has (retention deleted it) starts at the earliest.
        const wanted = this.restored?.get(key) ?? starts.get(tp.partition) ?? low;
        const next = Math.max(wanted, low);
        if (wanted < low) {
          log.warn({ partition: key, position: wanted, earliest: low }, `records ${wanted} to ${low - 1} of ${key} are gone (deleted by the topic's retention): reading from ${low}`);
        }
        this.owned.set(key, { tp, next, stopAt: high, output: undefined });
      }
    }
    return true;
  }

  /** The split ids of the owned partitions. */
  splitIds(): string[] {
    return [...this.owned.keys()].map((key) => this.splitPrefix + key);
  }

  /** Every owned partition's next offset. */
  positions(): PartitionOffset[] {
    return [...this.owned.values()].map(({ tp, next }) => ({ ...tp, offset: next }));
  }

  /** Every owned partition holds the watermark back from the start, not only from its first record (as in Flink). */
  bindOutputs(output: ReaderOutput<T>): void {
    for (const [key, owned] of this.owned) owned.output ??= output.forSplit(this.splitPrefix + key);
  }

  /** Every owned partition reached the end found at start; done partitions release their watermark hold. */
  finishedBounded(output: ReaderOutput<T>): boolean {
    let finished = true;
    for (const [key, owned] of this.owned) {
      if (owned.next >= owned.stopAt) output.releaseSplit(this.splitPrefix + key);
      else finished = false;
    }
    return finished;
  }

  private async startOffsets(
    admin: KafkaAdmin,
    topic: string,
    range: Map<number, { low: number; high: number }>,
    startFrom: KafkaSourceOptions<T>['startFrom'],
  ): Promise<Map<number, number>> {
    const edge = (which: 'low' | 'high') => new Map([...range].map(([partition, offsets]) => [partition, offsets[which]]));
    if (startFrom === 'earliest') return edge('low');
    if (startFrom === 'latest') return edge('high');
    if (typeof startFrom === 'object') return admin.offsetsAt(topic, startFrom.timestamp);
    const committed = await admin.committedOffsets(this.options.groupId, topic);
    const fallback = edge(this.options.resetTo === 'latest' ? 'high' : 'low');
    for (const [partition, offset] of fallback) if (!committed.has(partition)) committed.set(partition, offset);
    return committed;
  }
}

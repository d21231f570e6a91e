/**
 * When a topic's records become visible to a read_committed reader of one cluster: a reader on weir's own Kafka client
 * (read_committed, every partition from its first offset) runs beside a job and stamps each record with Date.now()
 * when a fetch hands it over. A transaction's records come only after its commit marker, so the stamp is never early,
 * and late by about one fetch at most (the fetcher's broker wait is 100 ms, and a fetch returns as soon as the commit
 * moves the last stable offset).
 *
 * Not the records' own timestamps: CreateTime is when the producer sent a record inside its transaction, which can be
 * seconds before the commit shows it to anyone. (Polling the topic's end offsets, which `KafkaAdmin.offsetRange` gets
 * as the last stable offset, times the same commits to within a poll: bench/multi-region-failover.ts does that.)
 */
import { randomBytes } from 'node:crypto';
import { createKafkaClient, type KafkaRecordView, type PartitionFetcher } from '../src/connectors/kafka/client/index.ts';

export interface VisibleRecord {
  readonly record: KafkaRecordView;
  /** Date.now() when the reader got it: at or after the commit that made it visible. */
  readonly visibleAt: number;
}

export interface VisibilityWatch {
  /** Every record read so far, in the order read (once each). */
  readonly records: readonly VisibleRecord[];
  /** When the record at this partition and offset was read; undefined until it is. */
  visibleAt(partition: number, offset: number): number | undefined;
  /** Stops reading; rejects with the reader's failure if it failed for good meanwhile (a gap in what it saw). */
  stop(): Promise<void>;
}

/**
 * Starts reading `topic` on the cluster from the beginning. Records already committed when it starts get the time of
 * their first fetch: start it before the records to be timed are written (on an empty topic, nothing is caught up).
 */
export async function watchVisibility(brokers: readonly string[], topic: string): Promise<VisibilityWatch> {
  const client = createKafkaClient({ brokers, clientId: 'weir-visibility' });
  const records: VisibleRecord[] = [];
  const seen = new Map<string, number>();
  let failure: unknown;
  let fetcher: PartitionFetcher | undefined;
  try {
    const admin = await client.admin();
    const [partitions, range] = await Promise.all([admin.partitionsOf([topic]), admin.offsetRange(topic)]).finally(() => admin.close());
    fetcher = await client.fetcher({
      groupId: `weir-visibility-${randomBytes(4).toString('hex')}`,
      subtask: 0,
      parallelism: 1,
      readUncommitted: false,
      onBatch: (batch) => {
        const at = Date.now();
        for (const record of batch.records) {
          const key = `${record.partition}:${record.offset}`;
          if (seen.has(key)) continue; // a fetch the client restarted hands some records over again
          seen.set(key, at);
          records.push({ record, visibleAt: at });
        }
      },
      onFailure: (error) => (failure ??= error),
    });
    await fetcher.start(partitions.map((tp) => ({ ...tp, offset: range.get(tp.partition)?.low ?? 0 })));
  } catch (error) {
    await fetcher?.close().catch(() => undefined);
    await client.close().catch(() => undefined);
    throw error;
  }
  const started = fetcher;
  return {
    records,
    visibleAt: (partition, offset) => seen.get(`${partition}:${offset}`),
    async stop() {
      try {
        await started.close();
      } finally {
        await client.close();
      }
      if (failure !== undefined) throw new Error(`the read_committed reader of ${topic} on ${brokers.join(',')} failed: ${failure instanceof Error ? failure.message : String(failure)}`);
    },
  };
}

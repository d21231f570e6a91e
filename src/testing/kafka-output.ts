/** What a job committed to a topic, as a read_committed consumer sees it: kafkaIo's output. */
import { randomBytes } from 'node:crypto';
import { createKafkaClient, type PartitionFetcher } from '../connectors/kafka/client/index.ts';
import { WeirError } from '../core/errors.ts';

/**
 * Every committed record value of the topic, partition by partition in offset order (records of aborted transactions
 * left out), read up to the log end offsets of when it is called: a read_committed reader gets there only once every
 * transaction written before is resolved, so a commit whose markers are not written yet (a broker that just
 * restarted writes them late) is waited for, never taken for an empty topic.
 */
export async function readCommitted(brokers: readonly string[], topic: string, timeoutMs = 60_000): Promise<(Buffer | null)[]> {
  const client = createKafkaClient({ brokers, clientId: 'weir-check-output' });
  let fetcher: PartitionFetcher | undefined;
  try {
    const admin = await client.admin();
    let starts: Map<number, { low: number }>;
    let ends: Map<number, number>;
    try {
      starts = await admin.offsetRange(topic);
      ends = await admin.logEndOffsets(topic);
    } finally {
      await admin.close();
    }
    const lowOf = (partition: number): number => starts.get(partition)?.low ?? 0;
    const remaining = new Map([...ends].filter(([partition, end]) => end > lowOf(partition)));
    const values = new Map<number, (Buffer | null)[]>();
    if (remaining.size === 0) return [];
    let fail: (error: unknown) => void = () => {};
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve, reject) => {
      done = resolve;
      fail = reject;
    });
    fetcher = await client.fetcher({
      groupId: `weir-check-reader-${randomBytes(4).toString('hex')}`,
      subtask: 0,
      parallelism: 1,
      readUncommitted: false,
      onBatch: ({ partition, records, nextOffset }) => {
        const end = remaining.get(partition);
        if (end === undefined) return;
        const list = values.get(partition) ?? [];
        for (const record of records) if (record.offset < end) list.push(record.value);
        values.set(partition, list);
        if (nextOffset >= end) remaining.delete(partition);
        if (remaining.size === 0) done();
      },
      onFailure: (error) => fail(error),
    });
    await fetcher.start([...remaining.keys()].map((partition) => ({ topic, partition, offset: lowOf(partition) })));
    const timer = setTimeout(() => fail(new WeirError(`kafkaIo: reading ${topic} did not reach its log end offsets in ${timeoutMs} ms (a transaction still open there ends when its producer's next instance starts, or at the transaction timeout); partitions behind: ${[...remaining.keys()].join(', ')}`)), timeoutMs);
    try {
      await finished;
    } finally {
      clearTimeout(timer);
    }
    return [...values.keys()].sort((a, b) => a - b).flatMap((partition) => values.get(partition)!);
  } finally {
    await fetcher?.close().catch(() => {});
    await client.close();
  }
}

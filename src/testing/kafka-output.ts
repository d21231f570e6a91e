/** What a job committed to a topic, as a read_committed consumer sees it: kafkaIo's output. */
import { randomBytes } from 'node:crypto';
import { createKafkaClient, type KafkaAdmin, type PartitionFetcher } from '../connectors/kafka/client/index.ts';
import { WeirError } from '../core/errors.ts';
import { sleep } from '../core/signal.ts';

/**
 * Every committed record value of the topic, from the start to its end offsets once they stay put, partition by
 * partition in offset order (records of aborted transactions left out).
 */
export async function readCommitted(brokers: readonly string[], topic: string, timeoutMs = 60_000): Promise<(Buffer | null)[]> {
  const client = createKafkaClient({ brokers, clientId: 'weir-check-output' });
  let fetcher: PartitionFetcher | undefined;
  try {
    const admin = await client.admin();
    let ends: Map<number, { low: number; high: number }>;
    try {
      ends = await settledEnds(admin, topic);
    } finally {
      await admin.close();
    }
    const remaining = new Map([...ends].filter(([, { low, high }]) => high > low).map(([partition, { high }]) => [partition, high]));
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
    await fetcher.start([...remaining.keys()].map((partition) => ({ topic, partition, offset: ends.get(partition)!.low })));
    const timer = setTimeout(() => fail(new WeirError(`kafkaIo: reading ${topic} did not reach its end offsets in ${timeoutMs} ms; partitions behind: ${[...remaining.keys()].join(', ')}`)), timeoutMs);
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

/**
 * The topic's read_committed end offsets once they stay put: the last stable offset moves only when a committed
 * transaction's markers are written, a moment after its commit returned.
 */
async function settledEnds(admin: KafkaAdmin, topic: string): Promise<Map<number, { low: number; high: number }>> {
  const key = (ends: Map<number, { high: number }>): string => [...ends].map(([partition, { high }]) => `${partition}:${high}`).sort().join(',');
  let ends = await admin.offsetRange(topic);
  for (let unchanged = 0; unchanged < 2; ) {
    await sleep(250);
    const next = await admin.offsetRange(topic);
    unchanged = key(next) === key(ends) ? unchanged + 1 : 0;
    ends = next;
  }
  return ends;
}

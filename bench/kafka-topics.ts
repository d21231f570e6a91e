import { createHash } from 'node:crypto';
import type { Consumer, KafkaMessage, Message } from 'kafkajs';
import { Partitioners } from '../src/connectors/kafka/client/kafkajs/load.ts';
import { kafkajsClient } from '../src/connectors/kafka/client/kafkajs/connection.ts';
import { createKafkaClient, resolveBrokers } from '../src/connectors/kafka/client/index.ts';

/** Topics of the `kafka` and `multi-region` benches: prefill the input, read (and check) what a run wrote; scripts/kafka-broker.ts creates them. */

/**
 * Resolves through `finish()` once a reader saw every partition's end; a crashed consumer rejects it instead of
 * leaving it waiting for ever.
 */
export function untilConsumed(consumer: Consumer): { done: Promise<void>; finish: () => void } {
  let finish: () => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
  return { done, finish };
}

/** An input record: one click of a user; a running count per user sums `n`. */
export interface Click {
  readonly user: string;
  readonly n: number;
}

/** The users of successive clicks over `users` users, from a fixed seed: every run reads the same data. */
function clickUsers(users: number): () => string {
  let seed = 0x2545f491;
  return () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return `user-${Math.floor(((seed >>> 0) / 2 ** 32) * users)}`;
  };
}

/**
 * A digest of an output as a multiset of `key TAB value` lines (sorted, then SHA-256; 16 hex digits): equal for two
 * outputs holding the same records in any order or partitioning.
 */
function outputDigest(lines: string[]): string {
  const hash = createHash('sha256');
  for (const line of lines.sort()) hash.update(`${line}\n`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The digest of the one right output of a running count over what `prefill` wrote: for a user with c clicks, the
 * records `{"user":...,"n":k}` for k = 1..c, keyed by the user, whatever the engine and its order.
 */
export function expectedOutputDigest(events: number, users: number): string {
  const next = clickUsers(users);
  const counts = new Map<string, number>();
  const lines: string[] = [];
  for (let i = 0; i < events; i++) {
    const user = next();
    const n = (counts.get(user) ?? 0) + 1;
    counts.set(user, n);
    lines.push(`${user}\t${JSON.stringify({ user, n } satisfies Click)}`);
  }
  return outputDigest(lines);
}

/** Writes `events` clicks over `users` users (fixed seed: every run reads the same data), keyed by user. */
export async function prefill(brokers: string, topic: string, events: number, users: number): Promise<void> {
  const next = clickUsers(users);
  await produceAll(brokers, topic, events, () => {
    const user = next();
    return { key: user, value: JSON.stringify({ user, n: 1 } satisfies Click) };
  });
}

/** Writes `count` records, `message(i)` for i = 0, 1, ... in that order, partitioned by key as Java's client does. */
export async function produceAll(brokers: string, topic: string, count: number, message: (index: number) => Message): Promise<void> {
  // Idempotent: a retried send must not write the input twice.
  const producer = kafkajsClient(resolveBrokers(brokers), 'weir-bench-prefill').producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const chunk = 20_000;
    const sends: Promise<unknown>[] = [];
    for (let start = 0; start < count; start += chunk) {
      const messages: Message[] = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) messages.push(message(i));
      sends.push(producer.sendBatch({ topicMessages: [{ topic, messages }], acks: -1 }));
      // One send at a time: kafkajs retries a failed send as a whole, after the sends behind it, so with several in
      // flight a send that timed out on a loaded machine lands behind later ones and a partition's order is lost
      // (the multi-region bench's event time depends on that order).
      if (sends.length >= 1) await sends.shift();
    }
    await Promise.all(sends);
  } finally {
    await producer.disconnect();
  }
}

/**
 * A fresh broker creates and loads its consumer groups' coordinator on the first group request: waits for it here
 * (a group offsets query, retried while the coordinator loads), so that no measured run's consumer gives up on it.
 */
export async function waitForGroupCoordinator(brokers: string, topic: string): Promise<void> {
  const client = createKafkaClient({ brokers, clientId: 'weir-bench-warm-up' });
  try {
    const admin = await client.admin();
    await admin.committedOffsets(`${topic}.warm-up`, topic).finally(() => admin.close());
  } finally {
    await client.close();
  }
}

export interface OutputCount {
  /** Records a read_committed consumer sees in the topic. */
  readonly outputRecords: number;
  /** Sum over users of the highest running count seen: the input's event count when no count was lost or doubled. */
  readonly finalCountTotal: number;
  /** outputDigest of the records (compare with expectedOutputDigest). */
  readonly outputDigest: string;
  /**
   * The smallest and largest record timestamp (ms): for a topic created with message.timestamp.type=LogAppendTime,
   * when the broker appended the first and the last output record. Undefined for an empty topic.
   */
  readonly firstAppendMs: number | undefined;
  readonly lastAppendMs: number | undefined;
}

/**
 * Reads a whole output topic of running counts, read_committed (a transactional sink's aborted records are skipped).
 * kafkajs gives each record of a LogAppendTime batch the batch's append time.
 */
export async function countOutput(brokers: string, topic: string, timeoutMs = 300_000): Promise<OutputCount> {
  const highest = new Map<string, number>();
  let outputRecords = 0;
  const lines: string[] = [];
  let firstAppendMs: number | undefined;
  let lastAppendMs: number | undefined;
  await readCommitted(brokers, topic, (message) => {
    const value = message.value!.toString('utf8');
    const { user, n } = JSON.parse(value) as Click;
    if (n > (highest.get(user) ?? 0)) highest.set(user, n);
    outputRecords++;
    lines.push(`${message.key?.toString('utf8') ?? ''}\t${value}`);
    const appendedMs = Number(message.timestamp);
    if (firstAppendMs === undefined || appendedMs < firstAppendMs) firstAppendMs = appendedMs;
    if (lastAppendMs === undefined || appendedMs > lastAppendMs) lastAppendMs = appendedMs;
  }, timeoutMs);
  let finalCountTotal = 0;
  for (const n of highest.values()) finalCountTotal += n;
  return { outputRecords, finalCountTotal, outputDigest: outputDigest(lines), firstAppendMs, lastAppendMs };
}

/** Hands every record of the topic, up to its read_committed end now, to `onRecord` (with its partition), as a read_committed consumer sees it. */
export async function readCommitted(brokers: string, topic: string, onRecord: (message: KafkaMessage, partition: number) => void, timeoutMs = 300_000): Promise<void> {
  const client = createKafkaClient({ brokers, clientId: 'weir-bench-read' });
  const admin = await client.admin();
  const ends = await admin.offsetRange(topic);
  await admin.close();
  const open = new Set([...ends].filter(([, { low, high }]) => high > low).map(([partition]) => partition));
  const consumer = kafkajsClient(resolveBrokers(brokers), 'weir-bench-read').consumer({ groupId: `${topic}.read-${Date.now().toString(36)}`, readUncommitted: false, maxWaitTimeInMs: 100 });
  const { done, finish: finished } = untilConsumed(consumer);
  // A batch's last offset counts transaction markers too, which no eachBatch sees: the end of a partition shows here.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (Number(payload.lastOffset) + 1 >= ends.get(payload.partition)!.high) open.delete(payload.partition);
    if (open.size === 0) finished();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    if (open.size > 0) {
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) onRecord(message, batch.partition);
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`reading ${topic}: partitions ${[...open].join(',')} not read to the end after ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    }
  } finally {
    await consumer.disconnect();
    await client.close();
  }
}

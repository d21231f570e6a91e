import type { Source, SourceReader } from '../source.ts';
import { WeirError } from '../../core/errors.ts';
import { createKafkaClient, type KafkaAdmin, type KafkaConnectionOptions, type TopicPartition } from './client/index.ts';
import { describeCheckpointCommits } from './checkpoint-commits.ts';
import { deserializers, type Deserializer } from './serde.ts';
import { KafkaSourceReader, type KafkaSourcePosition } from './source-reader.ts';
import type { RuntimeContext } from '../../core/runtime-context.ts';

/** Where a partition starts when the checkpoint has no position for it. */
export type StartingOffsets = 'committed' | 'earliest' | 'latest' | { readonly timestamp: number };

export interface KafkaSourceOptions<T> extends KafkaConnectionOptions {
  /** Topics to read; or `topicPattern`. */
  readonly topics?: string | readonly string[];
  /** Every topic whose name matches, found again at each partition discovery. */
  readonly topicPattern?: RegExp;
  /** The consumer group whose offsets weir commits when a checkpoint completes (for lag and tools) and starts from. */
  readonly groupId: string;
  /** Default 'committed' (falling back to `resetTo` for partitions without a committed offset). */
  readonly startFrom?: StartingOffsets;
  /** Where 'committed' starts a partition the group has no offset for; default 'earliest'. */
  readonly resetTo?: 'earliest' | 'latest';
  /** Read up to the end offsets found at start, then finish: a bounded source (for backfills, tests, benchmarks). */
  readonly bounded?: boolean;
  /** How often new partitions (and topics matching the pattern) are looked for, in ms; 0 turns it off. Default 60 s. */
  readonly partitionDiscoveryMs?: number;
  /** Records buffered per subtask before its partitions are paused (backpressure). Default 10,000. */
  readonly maxBufferedRecords?: number;
  /** Read records of aborted and open transactions too; default false (read_committed). */
  readonly readUncommitted?: boolean;
  /**
   * How long after a subtask's last heartbeat Kafka drops its reader from the reader group (`session.timeout.ms`), in
   * ms: a killed process's reader groups can be deleted by the next start only after that. Default 30 s; brokers
   * accept 6 s to 5 min unless `group.min.session.timeout.ms` and `group.max.session.timeout.ms` say otherwise.
   */
  readonly sessionTimeoutMs?: number;
  readonly deserializer: Deserializer<T>;
}

/** The options of `KafkaSource.json`, `msgpack`, `string` and `bytes`: those of a KafkaSource, whose deserializer they choose. */
export type WithoutDeserializer<T> = Omit<KafkaSourceOptions<T>, 'deserializer'>;

/**
 * Reads Kafka topics. Partitions are splits that the source's subtasks share out among themselves (as Flink's
 * KafkaSource does, not through consumer-group rebalancing): partition p of topic t belongs to subtask
 * (hash(t) + p) mod parallelism, each with watermarks of its own. Positions live in the checkpoint; when one completes,
 * they are committed to `groupId` with the checkpoint id in the commit metadata.
 */
export class KafkaSource<T> implements Source<T> {
  readonly name: string;
  readonly boundedness: 'bounded' | 'unbounded';

  static json<T>(options: WithoutDeserializer<T>): KafkaSource<T> {
    return new KafkaSource({ ...options, deserializer: deserializers.json<T>() });
  }

  static msgpack<T>(options: WithoutDeserializer<T>): KafkaSource<T> {
    return new KafkaSource({ ...options, deserializer: deserializers.msgpack<T>() });
  }

  static string(options: WithoutDeserializer<string>): KafkaSource<string> {
    return new KafkaSource({ ...options, deserializer: deserializers.string() });
  }

  static bytes(options: WithoutDeserializer<Buffer | null>): KafkaSource<Buffer | null> {
    return new KafkaSource({ ...options, deserializer: deserializers.bytes() });
  }

  constructor(private readonly options: KafkaSourceOptions<T>) {
    const topics = topicList(options.topics);
    if ((topics.length === 0) === (options.topicPattern === undefined)) {
      throw new WeirError('a Kafka source needs `topics` or `topicPattern` (one of them)');
    }
    if (typeof options.groupId !== 'string' || options.groupId === '') throw new WeirError('a Kafka source needs a `groupId`');
    if (options.sessionTimeoutMs !== undefined && !(Number.isInteger(options.sessionTimeoutMs) && options.sessionTimeoutMs > 0)) {
      throw new WeirError(`a Kafka source's \`sessionTimeoutMs\` must be a whole number of ms above 0 (got ${options.sessionTimeoutMs})`);
    }
    this.boundedness = options.bounded === true ? 'bounded' : 'unbounded';
    this.name = `kafka:${options.topicPattern?.source ?? topics.join(',')}`;
  }

  /**
   * Before a start that restores nothing: the offsets of `groupId` that weir's checkpoints committed, when this
   * source would start from them ('committed'). Their job ran before and its state is gone: starting there with
   * empty state would continue the input without what was counted from it (see runJob's allowFreshStart).
   */
  async earlierRun(): Promise<string | undefined> {
    if ((this.options.startFrom ?? 'committed') !== 'committed') return undefined;
    const client = createKafkaClient({ ...this.options, clientId: 'weir-source-check' });
    try {
      const admin = await client.admin();
      try {
        return await describeCheckpointCommits(admin, this.options.groupId, await partitionsToRead(admin, this.options));
      } finally {
        await admin.close();
      }
    } finally {
      await client.close();
    }
  }

  createReader(ctx: RuntimeContext, restored?: readonly unknown[]): SourceReader<T> {
    // Every old reader's positions: each new reader takes those of the partitions it owns now.
    const positions = new Map<string, number>();
    for (const state of restored ?? []) for (const [key, offset] of Object.entries((state as KafkaSourcePosition).offsets)) positions.set(key, offset);
    return new KafkaSourceReader<T>(
      { ...this.options, topics: topicList(this.options.topics), ...(ctx.reportStatus === undefined ? {} : { reportStatus: ctx.reportStatus }) },
      { subtask: ctx.subtaskIndex, parallelism: ctx.parallelism, operator: ctx.operatorName },
      restored === undefined ? undefined : positions,
    );
  }
}

/** The partitions of the configured topics, or of every topic matching the pattern. */
export async function partitionsToRead(admin: KafkaAdmin, options: Pick<KafkaSourceOptions<unknown>, 'topics' | 'topicPattern'>): Promise<TopicPartition[]> {
  const pattern = options.topicPattern;
  const topics = pattern === undefined ? topicList(options.topics) : (await admin.topics()).filter((topic) => pattern.test(topic)).sort();
  return admin.partitionsOf(topics);
}

function topicList(topics: string | readonly string[] | undefined): string[] {
  return topics === undefined ? [] : typeof topics === 'string' ? [topics] : [...topics];
}

/** Flink's assignment: a topic's partitions go round-robin over the subtasks from a start that depends on the topic. */
export function ownerOf(tp: TopicPartition, parallelism: number): number {
  let hash = 0;
  for (let i = 0; i < tp.topic.length; i++) hash = (Math.imul(hash, 31) + tp.topic.charCodeAt(i)) | 0;
  const start = ((Math.imul(hash, 31) & 0x7fffffff) >>> 0) % parallelism;
  return (start + tp.partition) % parallelism;
}

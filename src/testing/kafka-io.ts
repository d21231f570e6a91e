/**
 * Kafka I/O for `checkExactlyOnce`: each run gets fresh topics on a real broker, its input produced there, and its
 * output read back with a read_committed reader. The broker is the user's, or one this I/O starts itself
 * (kafka/local-kafka.ts); only a broker it may restart (its own, or one the user started with `startKafka`) gets the
 * Kafka faults, so that a restart never disturbs someone else's broker.
 */
import { randomBytes } from 'node:crypto';
import { createKafkaClient, resolveBrokers, type ProducedRecord } from '../connectors/kafka/client/index.ts';
import { WeirError } from '../core/errors.ts';
import { sleep } from '../core/signal.ts';
import type { IoFaultKind, IoRun, IoRunRequest, TestIo } from './io.ts';
import { createTopic, restartCluster, type Cluster } from './kafka/broker.ts';
import { startKafka, stopKafka, type LocalKafka } from './kafka/local-kafka.ts';
import { beginOutage } from './kafka/outage.ts';
import { readCommitted } from './kafka-output.ts';
import { encodeInput } from './stream-records.ts';

/** The params `kafkaIo()` passes to the job module: what it builds its KafkaSource and exactly-once KafkaSink with. */
export interface KafkaIoParams {
  /** `brokers` of the source and the sink. */
  readonly brokers: string[];
  /** The topic holding the input: `KafkaSource.json({ brokers, topics: inputTopic, groupId, bounded: true, startFrom: 'earliest' })`. */
  readonly inputTopic: string;
  /** The topic to write: `KafkaSink.json({ brokers, topic: outputTopic, exactlyOnce: true, transactionalIdPrefix })`. */
  readonly outputTopic: string;
  /** The source's consumer group, this run's own. */
  readonly groupId: string;
  /** The sink's transactional id prefix, this run's own (the runs of one check share the job id). */
  readonly transactionalIdPrefix: string;
}

/** Options of `kafkaIo`. */
export interface KafkaIoOptions<In, Out> {
  /**
   * The Kafka to use: brokers of one you run (`host:port` list or comma-separated; no Kafka faults then, a restart
   * would disturb others), or a broker from `startKafka()` (Kafka faults allowed: the test owns it). Default: one
   * this I/O starts at its first run and stops at `close()` (Java 17+ needed; see `startKafka`).
   */
  readonly brokers?: readonly string[] | string | LocalKafka;
  /** Partitions of the input topic (default: the job's parallelism, one per source subtask). */
  readonly inputPartitions?: number;
  /** Partitions of the output topic (default: the job's parallelism). */
  readonly outputPartitions?: number;
  /** An input record's Kafka key (default: its `key` field when that is a string, else none). */
  readonly key?: (record: In) => string | undefined;
  /** An input record's Kafka timestamp (default: its `timestamp` field when that is a number, else the send time). */
  readonly timestamp?: (record: In) => number | undefined;
  /** Reads an output record's value (default: JSON). */
  readonly decode?: (value: Buffer) => Out;
  /**
   * The job module's params for a run, from the run's {@link KafkaIoParams} (default: those as they are): for a job
   * that keeps the names of its production configuration, `({ inputTopic, outputTopic, ...rest }) => ({ ...rest,
   * feedbackTopic: inputTopic, scoresTopic: outputTopic })`.
   */
  readonly params?: (params: KafkaIoParams) => Readonly<Record<string, unknown>>;
  /** How long a `cluster-outage` keeps the broker paused (SIGSTOP: requests hang), in ms; default 3000. */
  readonly outageMs?: number;
  /** How long the broker may take to answer again after a `broker-restart` or outage; default 120 000 ms. */
  readonly readyTimeoutMs?: number;
}

/** A Kafka `TestIo`, with the broker behind it. */
export interface KafkaTestIo<In, Out> extends TestIo<In, Out> {
  /** The broker list the runs use (starting the broker first, when this I/O starts its own). */
  brokers(): Promise<string[]>;
  /**
   * The broker behind the runs when the test owns it (started by this I/O, or given from `startKafka`), as it is now
   * (a restart gives it a new pid); undefined before this I/O started its own, and for brokers only named.
   */
  broker(): LocalKafka | undefined;
  /** Stops the broker this I/O started (none when it was given brokers); call it in `afterAll`. */
  close(): Promise<void>;
}

/** The sink's fault point in the middle of an epoch's publish: its records sent in the transaction, not committed. */
const MID_PUBLISH_POINT = 'kafka-before-commit';

/**
 * Kafka I/O for `checkExactlyOnce`. Each run gets its own input and output topics (named after the run), a consumer
 * group and a transactional id prefix, all passed to the job module as {@link KafkaIoParams}; the input is produced
 * in order (keyed records by key, so a key's records stay in order in one partition; `events()` records as
 * `encodeRecord` writes them, poison as raw bytes); the output is every record a read_committed reader sees on the
 * output topic once the run has ended, partition by partition in offset order. Kafka faults: `broker-restart` (the
 * broker SIGKILLed and started again on the same data and ports while the job is held at the fault's point) and
 * `cluster-outage` (the broker paused for `outageMs`: connections hang), only on a broker the test owns.
 */
export function kafkaIo<In = unknown, Out = unknown>(options: KafkaIoOptions<In, Out> = {}): KafkaTestIo<In, Out> {
  validate(options);
  const given = options.brokers;
  const owned = given === undefined;
  let cluster: Cluster | undefined = typeof given === 'object' && !Array.isArray(given) ? (given as LocalKafka) : undefined;
  let started: Promise<Cluster> | undefined;
  const brokers = async (): Promise<string[]> => {
    if (given === undefined) {
      started ??= startKafka().then((kafka) => (cluster = kafka));
      return [(await started).address];
    }
    return cluster !== undefined ? [cluster.address] : resolveBrokers(given as readonly string[] | string);
  };
  const faultKinds: IoFaultKind[] = owned || cluster !== undefined ? ['broker-restart', 'cluster-outage'] : [];
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;

  const injectFault = async (kind: IoFaultKind): Promise<void> => {
    if (cluster === undefined) throw new WeirError(`kafkaIo: '${kind}' needs a broker the test owns (kafkaIo() without brokers, or brokers: await startKafka())`);
    if (kind === 'broker-restart') {
      cluster = await restartCluster(cluster, { graceMs: 0, readyTimeoutMs });
      return;
    }
    const outage = await beginOutage(cluster, 'pause');
    await sleep(options.outageMs ?? 3_000);
    cluster = await outage.end({ readyTimeoutMs });
  };

  return {
    name: 'kafka',
    faultKinds,
    midPublishPoint: MID_PUBLISH_POINT,
    brokers,
    broker: () => cluster,
    prepare: async (request) => prepareRun(request, await brokers(), options, faultKinds.length > 0 ? injectFault : undefined),
    close: async () => {
      if (started === undefined) return;
      const kafka = await started.catch(() => undefined);
      started = undefined;
      if (kafka !== undefined) await stopKafka(cluster ?? kafka);
    },
  };
}

async function prepareRun<In, Out>(
  { input, runName, parallelism }: IoRunRequest<In>,
  brokers: string[],
  options: KafkaIoOptions<In, Out>,
  injectFault: ((kind: IoFaultKind) => Promise<void>) | undefined,
): Promise<IoRun<Out>> {
  const run = `weir-check-${runName.replace(/[^A-Za-z0-9._-]/g, '-')}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const params: KafkaIoParams = { brokers, inputTopic: `${run}-in`, outputTopic: `${run}-out`, groupId: `${run}-group`, transactionalIdPrefix: run };
  // Records carry their events' times as CreateTime, often days or years back: under the broker's default retention
  // (by time) it would delete them at its next retention check, in the middle of a run.
  const keepForever = { 'retention.ms': '-1' };
  await createTopic(brokers, params.inputTopic, options.inputPartitions ?? parallelism, keepForever);
  await createTopic(brokers, params.outputTopic, options.outputPartitions ?? parallelism, keepForever);
  await produceInput(brokers, params.inputTopic, input, options);
  const decode = options.decode ?? ((value: Buffer) => JSON.parse(value.toString('utf8')) as Out);
  return {
    params: options.params === undefined ? { ...params } : options.params(params),
    readOutput: async () => (await readCommitted(brokers, params.outputTopic)).map((value, i) => decodeOutput(value, i, decode, params.outputTopic)),
    ...(injectFault === undefined ? {} : { injectFault }),
  };
}

/** Produces the records in order, idempotently (a retried send is not written twice), a few hundred per request. */
async function produceInput<In>(brokers: string[], topic: string, input: readonly In[], options: KafkaIoOptions<In, unknown>): Promise<void> {
  const keyOf = options.key ?? ((record: In) => fieldOf(record, 'key', 'string'));
  const timestampOf = options.timestamp ?? ((record: In) => fieldOf(record, 'timestamp', 'number'));
  const records = input.map((record): ProducedRecord => {
    const key = keyOf(record);
    const timestamp = timestampOf(record);
    return { key: key === undefined ? null : Buffer.from(key), value: encodeInput(record), ...(timestamp === undefined ? {} : { timestamp }) };
  });
  const client = createKafkaClient({ brokers, clientId: 'weir-check-input' });
  try {
    const producer = await client.producer();
    try {
      for (let from = 0; from < records.length; from += 500) await producer.send([{ topic, partition: undefined, records: records.slice(from, from + 500) }]);
    } finally {
      await producer.close();
    }
  } finally {
    await client.close();
  }
}

function fieldOf<T extends 'string' | 'number'>(record: unknown, name: string, type: T): (T extends 'string' ? string : number) | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const value = (record as Record<string, unknown>)[name];
  return typeof value === type ? (value as T extends 'string' ? string : number) : undefined;
}

function decodeOutput<Out>(value: Buffer | null, index: number, decode: (value: Buffer) => Out, topic: string): Out {
  if (value === null) throw new WeirError(`kafkaIo: output record ${index} of ${topic} has no value`);
  try {
    return decode(value);
  } catch (error) {
    throw new WeirError(`kafkaIo: output record ${index} of ${topic} cannot be decoded: ${value.toString('utf8').slice(0, 200)}`, { cause: error });
  }
}

function validate(options: Pick<KafkaIoOptions<never, unknown>, 'inputPartitions' | 'outputPartitions' | 'outageMs' | 'readyTimeoutMs'>): void {
  for (const name of ['inputPartitions', 'outputPartitions', 'outageMs', 'readyTimeoutMs'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new WeirError(`kafkaIo: ${name} must be a positive integer, got ${String(value)}`);
  }
}

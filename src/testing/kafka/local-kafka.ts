/**
 * A local Kafka broker for a user's tests (weir/testing): the broker weir's own tests run against, one JVM per
 * broker, started in a few seconds once Kafka's jars are cached. Needs Java 17+ and, the first time, Maven.
 */
import { restartCluster, startClusters, stopClusters, type Cluster as LocalKafka } from './broker.ts';

// weir/testing calls a local cluster LocalKafka: `address` is what `brokers` of KafkaSource and KafkaSink take.
export type { LocalKafka };

/** How {@link startKafka} starts its broker. */
export interface StartKafkaOptions {
  /** How long the broker may take to answer once its JVM starts; default 60 s (more on a loaded machine). */
  readonly readyTimeoutMs?: number;
  /** server.properties entries to add or override, e.g. `{ 'transaction.max.timeout.ms': 60000 }`. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Starts a single-node Kafka (KRaft, broker and controller in one JVM) on free 127.0.0.1 ports, with its data in a
 * temp dir, and resolves once it answers. The first call fetches Kafka's jars with Maven from Maven Central into
 * ~/.cache/weir (WEIR_KAFKA_CACHE overrides it). Stop it with {@link stopKafka}; if the test process dies first, a
 * watchdog stops it. Topics are not created automatically: create them (`createTopic`) or let `kafkaIo` do it.
 * @throws WeirError when Java 17+ or (on the first run) Maven is missing, or the broker does not start (with its log tail).
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<LocalKafka> {
  const [kafka] = await startClusters(1, { ownerPid: process.pid, ...options });
  return kafka!;
}

/** Stops the broker (at once: its data is thrown away) and removes its dir. */
export async function stopKafka(kafka: LocalKafka): Promise<void> {
  await stopClusters([kafka], { graceMs: 0 });
}

/**
 * Stops the broker and starts it again on the same ports and data, as a broker restart in production: `graceMs` 0
 * (the default) kills it, more lets it shut down in a controlled way for that long first. Resolves once it answers.
 */
export async function restartKafka(kafka: LocalKafka, { graceMs = 0, readyTimeoutMs }: { graceMs?: number; readyTimeoutMs?: number } = {}): Promise<LocalKafka> {
  return restartCluster(kafka, readyTimeoutMs === undefined ? { graceMs } : { graceMs, readyTimeoutMs });
}

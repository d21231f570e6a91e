/**
 * A local Apache Kafka broker for tests and benchmarks (docs/architecture.md, Contracts), shipped in weir/testing so
 * that users' tests start the same one as weir's own (local-kafka.ts is the public face). Kafka's jars come from Maven
 * Central (fetch.ts); each cluster is one KRaft node (broker and controller in one JVM) on free 127.0.0.1 ports, with
 * its config, data and logs in a temp dir. Needs Java 17 or newer (JAVA_HOME, else java on PATH).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafkaClient, probeKafka } from '../../connectors/kafka/client/index.ts';
import { WeirError } from '../../core/errors.ts';
import { makeSharedArchive, sharedArchiveFlags } from './class-archive.ts';
import { fetchKafka } from './fetch.ts';
import { java, requireJava } from './java.ts';
import { connects, freePorts, HOST } from './ports.ts';

export { fetchKafka, kafkaCacheDir, KAFKA_VERSION } from './fetch.ts';

/** A local single-node Kafka cluster (one broker JVM), as `startKafka` (weir/testing) and the project's scripts start it. */
export interface Cluster {
  /** Its place among the clusters started together (0 for the first). */
  readonly index: number;
  /** `host:port` of the PLAINTEXT listener: what clients and KAFKA_BROKERS use. */
  readonly address: string;
  /** The PLAINTEXT listener's port. */
  readonly port: number;
  /** The KRaft controller listener's port. */
  readonly controllerPort: number;
  /** The broker JVM's pid (changes on restart). */
  readonly pid: number;
  /** Temp dir holding server.properties, log4j.properties, data/, server.log, stdout.log and broker.pid. */
  readonly dir: string;
  /** Kafka's cluster id, as formatted into its storage. */
  readonly clusterId: string;
  /** The folder of Kafka's jars the JVM runs from. */
  readonly libs: string;
  /** How its JVM is tuned (kept for restarts); quick start when absent. */
  readonly tuning?: BrokerTuning;
}

/**
 * How a broker's JVM is tuned. `quick-start` (tests, examples): the client compiler only and the serial collector, a
 * third less CPU to start (a test run starts dozens) at a throughput no test reaches. `throughput` (benchmarks): the
 * optimizing compiler and G1, as a production broker runs.
 */
export type BrokerTuning = 'quick-start' | 'throughput';

/** How {@link startClusters} starts its clusters. */
export interface StartOptions {
  /** Kill the brokers (and remove their dirs) when this process dies without stopping them, e.g. a test runner killed by a signal. */
  readonly ownerPid?: number;
  /** How long a broker may take to answer after its JVM starts; default 60 s. */
  readonly readyTimeoutMs?: number;
  /** Extra or overriding server.properties entries. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
  /** The index of the first cluster started (default 0): to add clusters to a set that has this many. */
  readonly firstIndex?: number;
  /** How the brokers' JVMs are tuned; default `quick-start`. */
  readonly tuning?: BrokerTuning;
}

/** Fetches Kafka if needed and starts `count` single-node clusters, each on its own ports. */
export async function startClusters(count: number, options: StartOptions = {}): Promise<Cluster[]> {
  requireJava();
  const libs = fetchKafka();
  if ((options.tuning ?? 'quick-start') === 'quick-start') await makeSharedArchive(libs, (jvmFlags) => archivingRun(libs, jvmFlags));
  const clusters: Cluster[] = [];
  try {
    // One after the other: a starting JVM keeps both cores busy for ~3 s, and ports are picked without races.
    const first = options.firstIndex ?? 0;
    for (let index = first; index < first + count; index++) {
      for (let attempt = 1; ; attempt++) {
        try {
          clusters.push(await startCluster(index, libs, options));
          break;
        } catch (error) {
          // Another process bound a picked port before the broker did: pick again.
          if (attempt >= 3 || !/BindException|Address already in use/.test(String(error))) throw error;
        }
      }
    }
  } catch (error) {
    await stopClusters(clusters);
    throw error;
  }
  return clusters;
}

/** A broker started and stopped cleanly with `jvmFlags`, for its JVM to write the class archive at exit. */
async function archivingRun(libs: string, jvmFlags: readonly string[]): Promise<void> {
  const cluster = await startCluster(0, libs, {}, jvmFlags);
  await stopClusters([cluster], { graceMs: 30_000 });
}

async function startCluster(index: number, libs: string, options: StartOptions, jvmFlags: readonly string[] = []): Promise<Cluster> {
  const [port, controllerPort] = await freePorts(2);
  if (port === undefined || controllerPort === undefined) throw new WeirError('no free ports for a Kafka broker');
  const dir = mkdtempSync(join(tmpdir(), `weir-kafka-${index}-`));
  const clusterId = newClusterId();
  const cluster: Cluster = { index, address: `${HOST}:${port}`, port, controllerPort, pid: 0, dir, clusterId, libs, tuning: options.tuning ?? 'quick-start' };
  try {
    writeConfig(cluster, options.properties ?? {});
    format(cluster);
    if (options.ownerPid !== undefined) watchOwner(options.ownerPid, dir);
    return await startBroker(cluster, options.readyTimeoutMs, jvmFlags);
  } catch (error) {
    await stopClusters([cluster]);
    throw error;
  }
}

function writeConfig(cluster: Cluster, extra: Readonly<Record<string, string | number | boolean>>): void {
  const { dir, port, controllerPort } = cluster;
  const properties: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${HOST}:${controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': join(dir, 'data'),
    'num.partitions': 1,
    'default.replication.factor': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    // One node: its 50 partitions each (the default) spread coordinators over brokers it does not have, and cost a new
    // cluster seconds of both cores when its first group or transactional producer creates them.
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    'transaction.state.log.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // Tests and benchmarks create their topics explicitly (with their partition counts); a typo must not create a topic.
    'auto.create.topics.enable': false,
    // Test records carry event times as CreateTime, often long past: time-based retention (7 days by default) would
    // delete them at a retention check in the middle of a run, and a reader would find them gone. The data dir is a
    // temp dir that goes with the broker, so nothing needs retention here.
    'log.retention.ms': -1,
    // After a crash (SIGKILL), the restarted broker cannot register until the controller expires its old session:
    // 9 s by default, 4 s here. Heartbeats go over loopback to the same JVM, so a shorter session is not a fencing risk.
    'broker.session.timeout.ms': 4_000,
    'broker.heartbeat.interval.ms': 1_000,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
    ...extra,
  };
  const lines = Object.entries(properties).map(([key, value]) => `${key}=${String(value)}`);
  writeFileSync(join(dir, 'server.properties'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=INFO, file',
      'log4j.appender.file=org.apache.log4j.RollingFileAppender',
      `log4j.appender.file.File=${join(dir, 'server.log')}`,
      'log4j.appender.file.MaxFileSize=50MB',
      'log4j.appender.file.MaxBackupIndex=1',
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.state.change.logger=WARN',
      '',
    ].join('\n'),
  );
}

function format(cluster: Cluster): void {
  const result = spawnSync(
    java(),
    ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', ...sharedArchiveFlags(cluster.libs), `-Dlog4j.configuration=file:${join(cluster.dir, 'log4j.properties')}`,
      '-cp', join(cluster.libs, '*'), 'kafka.tools.StorageTool', 'format', '-t', cluster.clusterId, '-c', join(cluster.dir, 'server.properties')],
    { encoding: 'utf8' },
  );
  if (result.error || result.status !== 0) {
    throw new WeirError(`formatting Kafka storage failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}${tail(cluster)}`);
  }
}

const JVM_TUNING: Record<BrokerTuning, readonly string[]> = {
  'quick-start': ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'],
  throughput: ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35'],
};

/** Starts the broker JVM of a formatted cluster, detached, and waits until it serves metadata. */
export async function startBroker(cluster: Cluster, readyTimeoutMs = 60_000, jvmFlags: readonly string[] = []): Promise<Cluster> {
  const tuning = cluster.tuning ?? 'quick-start';
  const out = openSync(join(cluster.dir, 'stdout.log'), 'a');
  const child = spawn(
    java(),
    ['-Xmx512m', '-Xms256m', ...JVM_TUNING[tuning], ...(tuning === 'quick-start' ? sharedArchiveFlags(cluster.libs) : []), ...jvmFlags, '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(cluster.dir, 'log4j.properties')}`, `-Dkafka.logs.dir=${cluster.dir}`,
      '-cp', join(cluster.libs, '*'), 'kafka.Kafka', join(cluster.dir, 'server.properties')],
    { detached: true, stdio: ['ignore', out, out], cwd: cluster.dir },
  );
  closeSync(out);
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = signal ?? `exit ${code}`));
  child.on('error', (error) => (exited = error.message));
  child.unref();
  const started: Cluster = { ...cluster, pid: child.pid ?? 0 };
  writeFileSync(join(cluster.dir, 'broker.pid'), `${started.pid}\n`);
  const deadline = Date.now() + readyTimeoutMs;
  let lastError = 'not yet tried';
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new WeirError(`Kafka broker ${cluster.address} died on start (${exited})${tail(cluster)}`);
    try {
      await connects(cluster.port);
      await probeKafka(cluster.address);
      return started;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      await sleep(250);
    }
  }
  await stopBroker(started, { graceMs: 0 });
  throw new WeirError(`Kafka broker ${cluster.address} not ready after ${readyTimeoutMs} ms (last: ${lastError})${tail(cluster)}`);
}

/**
 * Stops a broker JVM: SIGTERM (controlled shutdown), SIGKILL after `graceMs`; `graceMs: 0` is a crash. Keeps its dir.
 * The pid comes from the dir's broker.pid, so a cluster restarted by another process (a test worker) is still found.
 */
export async function stopBroker(cluster: Cluster, { graceMs = 15_000 }: { graceMs?: number } = {}): Promise<void> {
  const pid = brokerPid(cluster);
  if (pid === undefined) return;
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  signal(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  // A paused broker (an outage by SIGSTOP) handles SIGTERM only once it runs again.
  if (graceMs > 0) signal('SIGCONT');
  const deadline = Date.now() + graceMs;
  while (brokerPid(cluster) === pid && Date.now() < deadline) await sleep(100);
  if (brokerPid(cluster) === pid) signal('SIGKILL');
  while (brokerPid(cluster) === pid) await sleep(50);
}

/** Stops one cluster's broker and starts it again on the same dirs and ports (for broker-restart fault tests). */
export async function restartCluster(cluster: Cluster, options: { graceMs?: number; readyTimeoutMs?: number } = {}): Promise<Cluster> {
  await stopBroker(cluster, options.graceMs === undefined ? {} : { graceMs: options.graceMs });
  return startBroker(cluster, options.readyTimeoutMs);
}

/** Stops the brokers and removes their dirs. */
export async function stopClusters(clusters: readonly Cluster[], options: { graceMs?: number } = {}): Promise<void> {
  await Promise.all(clusters.map((cluster) => stopBroker(cluster, options)));
  for (const cluster of clusters) rmSync(cluster.dir, { recursive: true, force: true });
}

/** The pid of the cluster's live broker JVM (from broker.pid; checked against /proc: no reused pid, no zombie), if any. */
export function brokerPid(cluster: Cluster): number | undefined {
  let pid = cluster.pid;
  try {
    pid = Number.parseInt(readFileSync(join(cluster.dir, 'broker.pid'), 'utf8'), 10);
  } catch {
    // dir gone: fall back to the recorded pid
  }
  if (!(pid > 0)) return undefined;
  try {
    if (/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(cluster.dir, 'server.properties')) ? pid : undefined;
  } catch {
    if (process.platform === 'linux') return undefined;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }
}

/** A detached shell that kills the broker and removes its dir when `owner` dies first; it exits once the dir is gone. */
function watchOwner(owner: number, dir: string): void {
  const script = `
    while kill -0 "$0" 2>/dev/null; do [ -d "$1" ] || exit 0; sleep 2; done
    [ -f "$1/broker.pid" ] || exit 0
    p=$(cat "$1/broker.pid")
    if grep -qa "$1/server.properties" "/proc/$p/cmdline" 2>/dev/null; then
      kill -TERM "$p"; kill -CONT "$p"; i=0
      while kill -0 "$p" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.5; i=$((i+1)); done
      kill -KILL "$p" 2>/dev/null
    fi
    rm -rf "$1"`;
  spawn('sh', ['-c', script, String(owner), dir], { detached: true, stdio: 'ignore' }).unref();
}

function tail(cluster: Cluster, lines = 40): string {
  const parts: string[] = [];
  for (const name of ['stdout.log', 'server.log']) {
    try {
      const text = readFileSync(join(cluster.dir, name), 'utf8').trimEnd();
      if (text) parts.push(`\n--- ${join(cluster.dir, name)} (last ${lines} lines) ---\n${text.split('\n').slice(-lines).join('\n')}`);
    } catch {
      // not written yet
    }
  }
  return parts.join('');
}

/** A Kafka cluster id: 16 random bytes, base64url; never starting with '-' (it would read as a flag). */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Creates a topic (replication factor 1) on the brokers and waits until every partition has a leader. */
export async function createTopic(brokers: readonly string[], name: string, partitions: number, config: Record<string, string> = {}): Promise<void> {
  const client = createKafkaClient({ brokers, clientId: 'weir-topic-admin' });
  try {
    const admin = await client.admin();
    try {
      await admin.createTopic(name, partitions, config);
    } finally {
      await admin.close();
    }
  } finally {
    await client.close();
  }
}

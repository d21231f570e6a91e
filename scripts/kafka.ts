/**
 * Local Kafka for tests and benchmarks: `npm run kafka -- <command>`.
 *   fetch                  resolve Kafka's jars with Maven into the cache (WEIR_KAFKA_CACHE, default ~/.cache/weir/kafka-<version>)
 *   start [--clusters N] [--topics name:partitions[,name:partitions...]] [--metadata FILE]
 *                          start N single-node clusters (and create the topics, replication 1, on each); prints one
 *                          `host:port` per cluster on stdout (logs go to stderr) and leaves them running. --metadata
 *                          writes cluster metadata for multi-cluster jobs (docs/multi-region.md) to FILE: the clusters
 *                          as us-east, eu-west, ap-south, and each topic a stream of its name on every cluster in that order
 *   stop                   stop the clusters `start` recorded and remove their dirs
 *   restart <index>        restart one cluster's broker on the same dirs and ports
 *   outage <index> <seconds> [--pause]
 *                          take one cluster down for that long, then bring it back (src/testing/kafka/outage.ts): its broker
 *                          SIGKILLed and restarted on the same dirs and ports, or with --pause SIGSTOPped and SIGCONTed
 *                          (connections hang); Ctrl-C ends the outage early; prints the cluster's host:port once it answers
 *   status                 print the recorded clusters and whether their brokers run, are paused or are down
 * Example: export KAFKA_BROKERS=$(npm run -s kafka -- start --topics feedback:4,model-scores:4,feedback-dlq:1)
 *          npm run kafka -- start --clusters 2 --topics ratings:4,scores:4 --metadata clusters.json
 */
import { resolve } from 'node:path';
import { brokerPid, createTopic, fetchKafka, kafkaCacheDir, restartCluster, startClusters, stopClusters, type Cluster } from '../src/testing/kafka/broker.ts';
import { brokerState, clusterOutage } from '../src/testing/kafka/outage.ts';
import { clusterId, localMetadata, streamPerTopic, writeMetadataFile } from './kafka-metadata.ts';
import { readState, stateFile, writeState } from './kafka-state.ts';

const USAGE =
  'usage: kafka fetch | start [--clusters N] [--topics name:partitions[,name:partitions...]] [--metadata FILE] | stop | restart <index> | outage <index> <seconds> [--pause] | status';

interface StartArgs {
  readonly clusters: number;
  readonly topics: readonly { readonly name: string; readonly partitions: number }[];
  /** Where to write cluster metadata naming the clusters and a stream per topic. */
  readonly metadata: string | undefined;
}

function parseStart(args: readonly string[]): StartArgs {
  let clusters = 1;
  let topics: StartArgs['topics'] = [];
  let metadata: string | undefined;
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (flag === '--clusters' && value !== undefined) clusters = Number(value);
    else if (flag === '--topics' && value !== undefined) topics = value.split(',').map(parseTopic);
    // npm runs scripts in the package's root: a relative path is the user's, from where they typed the command.
    else if (flag === '--metadata' && value !== undefined) metadata = resolve(process.env['INIT_CWD'] ?? process.cwd(), value);
    else throw new Error(USAGE);
  }
  if (!Number.isInteger(clusters) || clusters < 1) throw new Error(USAGE);
  return { clusters, topics, metadata };
}

function parseTopic(spec: string): { name: string; partitions: number } {
  const match = /^([A-Za-z0-9._-]+):(\d+)$/.exec(spec.trim());
  const partitions = Number(match?.[2]);
  if (match === null || !(partitions >= 1)) throw new Error(`bad topic '${spec}': name:partitions, e.g. feedback:4; ${USAGE}`);
  return { name: match[1]!, partitions };
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  switch (command) {
    case 'fetch': {
      process.stdout.write(`${fetchKafka(kafkaCacheDir())}\n`);
      return;
    }
    case 'start': {
      const { clusters: count, topics, metadata } = parseStart(rest);
      const running = readState().filter((cluster) => brokerPid(cluster) !== undefined);
      if (running.length > 0) {
        throw new Error(`clusters already running (${running.map((c) => c.address).join(', ')}; state ${stateFile()}): run stop first`);
      }
      await stopClusters(readState()); // leftovers of a crashed run
      const started = Date.now();
      const clusters = await startClusters(count);
      writeState(clusters);
      process.stderr.write(`[kafka] ${count} cluster(s) up in ${((Date.now() - started) / 1000).toFixed(1)} s; state in ${stateFile()}\n`);
      try {
        for (const cluster of clusters) for (const { name, partitions } of topics) await createTopic([cluster.address], name, partitions);
        if (metadata !== undefined) await writeMetadataFile(metadata, localMetadata(clusters, streamPerTopic(clusters, topics.map(({ name }) => name))));
      } catch (error) {
        await stopClusters(clusters);
        writeState([]);
        throw error;
      }
      if (topics.length > 0) {
        process.stderr.write(`[kafka] created ${topics.map(({ name, partitions }) => `${name} (${partitions} partition${partitions > 1 ? 's' : ''})`).join(', ')}\n`);
      }
      if (metadata !== undefined) {
        process.stderr.write(`[kafka] cluster metadata in ${metadata}: ${clusters.map((c) => `${clusterId(c.index)} ${c.address}`).join(', ')}\n`);
      }
      for (const cluster of clusters) process.stdout.write(`${cluster.address}\n`);
      return;
    }
    case 'stop': {
      const clusters = readState();
      await stopClusters(clusters);
      writeState([]);
      process.stderr.write(`[kafka] stopped ${clusters.length} cluster(s)\n`);
      return;
    }
    case 'restart': {
      const { clusters, cluster } = recorded(rest[0]);
      const restarted = await restartCluster(cluster);
      writeState(clusters.map((c) => (c.index === cluster.index ? restarted : c)));
      process.stdout.write(`${restarted.address}\n`);
      return;
    }
    case 'outage': {
      const { clusters, cluster } = recorded(rest[0]);
      const seconds = Number(rest[1]);
      const flags = rest.slice(2);
      if (!(seconds >= 0) || flags.some((flag) => flag !== '--pause')) throw new Error(USAGE);
      const mode = flags.includes('--pause') ? 'pause' : 'kill';
      // Ctrl-C (or a kill of this command) ends the outage early instead of leaving the cluster down or frozen.
      const early = new AbortController();
      for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => early.abort());
      const began = Date.now();
      process.stderr.write(`[kafka] cluster ${cluster.index} (${cluster.address}) ${mode === 'kill' ? 'killed (SIGKILL)' : 'paused (SIGSTOP)'} for ${seconds} s\n`);
      const back = await clusterOutage(cluster, { mode, durationMs: seconds * 1_000, signal: early.signal });
      writeState(clusters.map((c) => (c.index === cluster.index ? back : c)));
      process.stderr.write(`[kafka] cluster ${cluster.index} answers again ${((Date.now() - began) / 1000).toFixed(1)} s after the outage began\n`);
      process.stdout.write(`${back.address}\n`);
      return;
    }
    case 'status': {
      for (const cluster of readState()) {
        const state = brokerState(cluster);
        process.stdout.write(`${cluster.index} ${cluster.address} ${state === 'down' ? 'down' : `${state} pid ${brokerPid(cluster)}`} ${cluster.dir}\n`);
      }
      return;
    }
    default:
      throw new Error(USAGE);
  }
}

/** The recorded clusters and the one with index `given`. */
function recorded(given: string | undefined): { clusters: Cluster[]; cluster: Cluster } {
  const clusters = readState();
  const cluster = clusters.find((c) => c.index === Number(given));
  if (given === undefined || !cluster) throw new Error(`no cluster ${given ?? '(none given)'} in ${stateFile()}; ${USAGE}`);
  return { clusters, cluster };
}

main(process.argv.slice(2)).then(
  // kafkajs sockets or timers must not keep a finished command alive.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`kafka: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

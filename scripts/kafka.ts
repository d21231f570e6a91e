/**
 * Local Kafka for tests and benchmarks: `npm run kafka -- <command>`.
 *   fetch                  resolve Kafka's jars with Maven into the cache (WEIR_KAFKA_CACHE, default ~/.cache/weir/kafka-<version>)
 *   start [--clusters N]   start N single-node clusters; prints one `host:port` per cluster on stdout and leaves them running
 *   stop                   stop the clusters `start` recorded and remove their dirs
 *   restart <index>        restart one cluster's broker on the same dirs and ports
 *   status                 print the recorded clusters and whether their brokers are alive
 * Example: export KAFKA_BROKERS=$(npm run -s kafka -- start)
 */
import { brokerPid, fetchKafka, kafkaCacheDir, readState, restartCluster, startClusters, stateFile, stopClusters, writeState } from './kafka-broker.ts';

const USAGE = 'usage: kafka fetch | start [--clusters N] | stop | restart <index> | status';

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  switch (command) {
    case 'fetch': {
      process.stdout.write(`${fetchKafka(kafkaCacheDir())}\n`);
      return;
    }
    case 'start': {
      const count = rest[0] === '--clusters' ? Number(rest[1]) : rest.length === 0 ? 1 : Number.NaN;
      if (!Number.isInteger(count) || count < 1) throw new Error(USAGE);
      const running = readState().filter((cluster) => brokerPid(cluster) !== undefined);
      if (running.length > 0) {
        throw new Error(`clusters already running (${running.map((c) => c.address).join(', ')}; state ${stateFile()}): run stop first`);
      }
      await stopClusters(readState()); // leftovers of a crashed run
      const started = Date.now();
      const clusters = await startClusters(count);
      writeState(clusters);
      process.stderr.write(`[kafka] ${count} cluster(s) up in ${((Date.now() - started) / 1000).toFixed(1)} s; state in ${stateFile()}\n`);
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
      const index = Number(rest[0]);
      const clusters = readState();
      const cluster = clusters.find((c) => c.index === index);
      if (!cluster) throw new Error(`no cluster ${rest[0] ?? '(none given)'} in ${stateFile()}; ${USAGE}`);
      const restarted = await restartCluster(cluster);
      writeState(clusters.map((c) => (c.index === index ? restarted : c)));
      process.stdout.write(`${restarted.address}\n`);
      return;
    }
    case 'status': {
      for (const cluster of readState()) {
        const pid = brokerPid(cluster);
        process.stdout.write(`${cluster.index} ${cluster.address} ${pid === undefined ? 'down' : `pid ${pid}`} ${cluster.dir}\n`);
      }
      return;
    }
    default:
      throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).then(
  // kafkajs sockets or timers must not keep a finished command alive.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`kafka: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

/**
 * Vitest global setup: one local Kafka cluster per test run, for the test files that need one.
 * - KAFKA_BROKERS already set: use those brokers; start nothing.
 * - Otherwise start a cluster when the run includes a Kafka test: a test file that imports test/fixtures/kafka.ts
 *   (or mentions KAFKA_BROKERS), or always in watch mode or with WEIR_KAFKA=1. Without one, nothing starts (0 s).
 * A broker that cannot start fails the run with its reason and log tail. Teardown stops it and removes its dir;
 * if the runner dies without teardown, a watchdog does the same.
 *
 * It also provides the run's pool of multi-region clusters (test/fixtures/kafka-cluster-pool.ts): a directory, empty
 * until a file asks for clusters (`useKafkaClusters`); teardown stops whatever clusters the files started there.
 * Never the broker above: that one is shared by files running at the same time, and the pool's clusters are taken down.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { readState, startClusters, stopClusters, type Cluster } from '../scripts/kafka-broker.ts';
import { stopPool, type ClusterPool } from './fixtures/kafka-cluster-pool.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated host:port, or '' when this run has no broker. */
    kafkaBrokers: string;
    /** The clusters behind kafkaBrokers when known (started here, or recorded by `npm run kafka -- start`), for restart tests. */
    kafkaClusters: Cluster[];
    /** The run's pool of clusters for `useKafkaClusters` (test/fixtures/kafka-cluster-pool.ts). */
    kafkaClusterPool: ClusterPool;
  }
}

const KAFKA_TEST = /fixtures\/kafka(\.ts)?['"]|KAFKA_BROKERS/;

function runNeedsKafka(project: TestProject): boolean {
  if (process.env['WEIR_KAFKA'] === '1' || project.vitest.config.watch) return true;
  // The run's test files (vitest records them before it runs the global setup; an experimental API, hence the fallback below).
  const files = project.vitest.state.getPaths();
  if (files.length === 0) return true; // the run's files are unknown here: better a broker too many
  return files.some((file) => {
    try {
      return KAFKA_TEST.test(readFileSync(file, 'utf8'));
    } catch {
      return false;
    }
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const pool: ClusterPool = { dir: mkdtempSync(join(tmpdir(), 'weir-kafka-pool-')), ownerPid: process.pid };
  project.provide('kafkaClusterPool', pool);
  const broker = await startBroker(project);
  return async () => {
    await Promise.all([broker(), stopPool(pool.dir)]);
  };
}

/** The run's one broker (see the top of the file); resolves with its teardown. */
async function startBroker(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env['KAFKA_BROKERS'];
  if (external) {
    const addresses = external.split(',');
    project.provide('kafkaBrokers', external);
    project.provide('kafkaClusters', readState().filter((cluster) => addresses.includes(cluster.address)));
    return async () => {};
  }
  if (!runNeedsKafka(project)) {
    project.provide('kafkaBrokers', '');
    project.provide('kafkaClusters', []);
    return async () => {};
  }
  const started = Date.now();
  const clusters = await startClusters(1, { ownerPid: process.pid });
  const brokers = clusters.map((cluster) => cluster.address).join(',');
  process.stderr.write(`[kafka] test broker ${brokers} up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  project.provide('kafkaBrokers', brokers);
  project.provide('kafkaClusters', clusters);
  process.env['KAFKA_BROKERS'] = brokers;
  return async () => {
    delete process.env['KAFKA_BROKERS'];
    // The data is thrown away with the dir, so no controlled shutdown is needed.
    await stopClusters(clusters, { graceMs: 0 });
  };
}

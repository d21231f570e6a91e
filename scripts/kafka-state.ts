/**
 * Where `npm run kafka -- start` records the clusters it left running, for `stop`, `restart`, `outage` and `status`,
 * and for the test run's global setup to find the clusters behind KAFKA_BROKERS.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_VERSION, type Cluster } from '../src/testing/kafka/broker.ts';

/** The state file (override: WEIR_KAFKA_STATE). */
export function stateFile(): string {
  return process.env['WEIR_KAFKA_STATE'] ?? join(tmpdir(), 'weir-kafka-state.json');
}

export function readState(file = stateFile()): Cluster[] {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { clusters: Cluster[] }).clusters;
  } catch {
    return [];
  }
}

export function writeState(clusters: readonly Cluster[], file = stateFile()): void {
  if (clusters.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ version: KAFKA_VERSION, clusters }, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

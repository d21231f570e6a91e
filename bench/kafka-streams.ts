import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMavenProject, exitOf } from './maven.ts';
import type { Line } from './child-runner.ts';

/**
 * The `kafka` bench's job on Kafka Streams (bench/kafka-streams, built with Maven on the first run): the same input
 * topic, the same running count per user, the same output records as weir's bench/jobs/kafka-count.ts.
 */
const PROJECT_DIR = fileURLToPath(new URL('kafka-streams/', import.meta.url));
const MAIN_CLASS = 'weir.bench.kafka.Main';
/** A fixed heap, so that the JVM's RSS and GC work do not depend on the machine's memory (its default is 1/4 of it). */
export const KAFKA_STREAMS_JVM_OPTIONS = ['-Xms1g', '-Xmx1g'] as const;
const STDERR_TAIL_LINES = 40;

export interface KafkaStreamsSpec {
  readonly brokers: string;
  readonly input: string;
  readonly output: string;
  /** Kafka Streams' application.id: its consumer group, transactional ids and internal topics are named after it. */
  readonly applicationId: string;
  readonly mode: 'at-least-once' | 'exactly-once';
  /** num.stream.threads. */
  readonly parallelism: number;
  readonly events: number;
  readonly commitIntervalMs: number;
  readonly timeoutMs: number;
}

export function buildKafkaStreams(): string {
  return buildMavenProject(PROJECT_DIR, 'bench/kafka-streams, the Kafka Streams side of the kafka benchmark,');
}

/** Runs the job once in a JVM of its own and returns its figures (bench/kafka-streams Main's JSON line). */
export function runKafkaStreams(classpath: string, spec: KafkaStreamsSpec): Line {
  // Not under the OS's temporary directory, which Kafka Streams warns about on every start (the OS may clear it).
  mkdirSync(join(PROJECT_DIR, 'target'), { recursive: true });
  const stateDir = mkdtempSync(join(PROJECT_DIR, 'target', 'state-'));
  try {
    const args = {
      brokers: spec.brokers,
      input: spec.input,
      output: spec.output,
      'application-id': spec.applicationId,
      'state-dir': stateDir,
      guarantee: spec.mode,
      threads: spec.parallelism,
      events: spec.events,
      'commit-interval-ms': spec.commitIntervalMs,
      'timeout-ms': spec.timeoutMs,
    };
    const result = spawnSync('java', [...KAFKA_STREAMS_JVM_OPTIONS, '-cp', classpath, MAIN_CLASS, ...Object.entries(args).flatMap(([name, value]) => [`--${name}`, String(value)])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (result.error !== undefined) {
      const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(missing ? 'bench/kafka-streams needs java (JDK 17 or later) on the PATH' : `java could not run: ${result.error.message}`);
    }
    if (result.status !== 0) {
      const tail = result.stderr.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
      throw new Error(`Kafka Streams ${spec.mode} p${spec.parallelism} failed (java ${exitOf(result)}); stderr ends:\n${tail}`);
    }
    if (result.stderr !== '') process.stderr.write(result.stderr);
    const last = result.stdout.trimEnd().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as Line;
    } catch {
      throw new Error(`Kafka Streams printed no JSON line; its stdout ended with: ${last}`);
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

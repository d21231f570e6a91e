/** Apache Kafka's broker and tools jars, resolved with Maven from Maven Central into a cache outside the repo. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WeirError } from '../../core/errors.ts';

export const KAFKA_VERSION = process.env['WEIR_KAFKA_VERSION'] ?? '3.9.2';
/** The slf4j-api version Kafka 3.9 is built against; the binding must match it. */
const SLF4J_VERSION = '1.7.36';
/** The reload4j version Kafka 3.9's distribution ships. */
const RELOAD4J_VERSION = '1.2.25';
/** Written last: a cache without it is incomplete and fetched again. */
const MARKER = 'COMPLETE.json';

const log = (message: string): void => void process.stderr.write(`[kafka] ${message}\n`);

export function kafkaCacheDir(): string {
  return process.env['WEIR_KAFKA_CACHE'] ?? join(homedir(), '.cache', 'weir', `kafka-${KAFKA_VERSION}`);
}

/** Resolves Kafka and its runtime dependencies with Maven into the cache (once); returns the folder of jars. */
export function fetchKafka(cache = kafkaCacheDir()): string {
  const libs = join(cache, 'libs');
  if (isComplete(cache)) return libs;
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'weir-kafka-fetch-'));
  const staging = join(cache, `libs.partial-${process.pid}`);
  const dependency = (groupId: string, artifactId: string, version: string): string =>
    `<dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
  writeFileSync(
    join(work, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>weir.local</groupId><artifactId>kafka-broker-jars</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    ${dependency('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION)}
    ${dependency('org.apache.kafka', 'kafka-tools', KAFKA_VERSION)}
    ${dependency('org.slf4j', 'slf4j-reload4j', SLF4J_VERSION)}
    ${dependency('ch.qos.reload4j', 'reload4j', RELOAD4J_VERSION)}
  </dependencies>
</project>\n`,
  );
  const started = Date.now();
  log(`fetching Apache Kafka ${KAFKA_VERSION} with Maven into ${cache} (first run only)...`);
  const mvn = spawnSync(
    'mvn',
    ['-q', '-B', '-f', join(work, 'pom.xml'), 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
      `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  rmSync(work, { recursive: true, force: true });
  if ((mvn.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new WeirError(
      `a local Kafka broker needs Kafka ${KAFKA_VERSION}'s jars, fetched once with Maven into ${cache}, and there is no mvn on PATH: ` +
        'install Maven (e.g. apt-get install maven), or set WEIR_KAFKA_CACHE to a folder already holding them, or pass the brokers of a Kafka you run yourself',
    );
  }
  if (mvn.error || mvn.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    const output = `${mvn.stdout ?? ''}${mvn.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new WeirError(`fetching Kafka ${KAFKA_VERSION} with Maven failed (${mvn.error?.message ?? `exit ${mvn.status}`}):\n${output}`);
  }
  const jars = readdirSync(staging).filter((name) => name.endsWith('.jar')).sort();
  const slf4j = jars.filter((name) => /^slf4j-api-/.test(name));
  if (slf4j.length !== 1 || slf4j[0] !== `slf4j-api-${SLF4J_VERSION}.jar`) {
    throw new WeirError(`Kafka ${KAFKA_VERSION} resolved ${slf4j.join(', ') || 'no slf4j-api'}, but the binding is slf4j-reload4j ${SLF4J_VERSION}: update SLF4J_VERSION`);
  }
  if (isComplete(cache)) {
    rmSync(staging, { recursive: true, force: true }); // another process finished first
  } else {
    rmSync(libs, { recursive: true, force: true });
    renameSync(staging, libs);
    writeFileSync(join(cache, MARKER), `${JSON.stringify({ version: KAFKA_VERSION, jars, fetchedAt: new Date().toISOString() }, null, 2)}\n`);
  }
  log(`fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return libs;
}

function isComplete(cache: string): boolean {
  try {
    const marker = JSON.parse(readFileSync(join(cache, MARKER), 'utf8')) as { jars: string[] };
    return marker.jars.length > 0 && marker.jars.every((jar) => existsSync(join(cache, 'libs', jar)));
  } catch {
    return false;
  }
}

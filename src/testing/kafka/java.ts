/** The Java a local Kafka broker runs on: JAVA_HOME's, else java on PATH, and at least the version Kafka 3.9 needs. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { WeirError } from '../../core/errors.ts';

/** The java binary: JAVA_HOME's, else the one on PATH. */
export function java(): string {
  return process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';
}

const MIN_JAVA = 17;
let javaChecked: string | undefined;

/** Fails with what to install when there is no Java, or one older than Kafka 3.9's brokers need; checked once per binary. */
export function requireJava(): void {
  const binary = java();
  if (javaChecked === binary) return;
  const result = spawnSync(binary, ['-version'], { encoding: 'utf8' });
  const where = process.env['JAVA_HOME'] ? `JAVA_HOME=${process.env['JAVA_HOME']}` : 'java on PATH';
  if (result.error || result.status !== 0) {
    throw new WeirError(
      `a local Kafka broker needs Java ${MIN_JAVA} or newer, and ${where} did not run (${result.error?.message ?? `exit ${result.status}`}): ` +
        'install a JDK or JRE (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME; or pass the brokers of a Kafka you run yourself',
    );
  }
  // `java -version` writes e.g. 'openjdk version "17.0.15"' or 'java version "1.8.0_392"' to stderr.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match === null ? undefined : match[1] === '1' ? Number(match[2]) : Number(match[1]);
  if (major !== undefined && major < MIN_JAVA) {
    throw new WeirError(`a local Kafka broker needs Java ${MIN_JAVA} or newer; ${where} is Java ${major}: install a newer one or set JAVA_HOME`);
  }
  javaChecked = binary;
}

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The Java sides of the benchmarks (bench/flink, bench/kafka-streams) are Maven projects built on their first run:
 * Maven fetches their dependencies from Maven Central into ~/.m2, and the JVM runs on the classpath Maven resolved,
 * so no jar is assembled or committed.
 */
const MAX_BUFFER = 1 << 30;

/**
 * Compiles the Maven project in `projectDir` and returns the Java classpath to run it (its classes, then its
 * dependencies); `purpose` names it in errors ("the Flink side of the Nexmark benchmark").
 */
export function buildMavenProject(projectDir: string, purpose: string): string {
  const classpathFile = join(projectDir, 'target', 'classpath.txt');
  const result = spawnSync(
    'mvn',
    ['-q', '-B', '-Dstyle.color=never', '-f', join(projectDir, 'pom.xml'), 'package', 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`, '-DskipTests'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: MAX_BUFFER },
  );
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? `${purpose} needs Maven (mvn) on the PATH, with a JDK 17 or later` : `mvn could not run: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new Error(`building ${projectDir} failed (mvn ${exitOf(result)}):\n${`${result.stdout}\n${result.stderr}`.trim()}`);
  }
  return [join(projectDir, 'target', 'classes'), readFileSync(classpathFile, 'utf8').trim()].join(delimiter);
}

/** How a child process ended, for an error message. */
export function exitOf(result: SpawnSyncReturns<string>): string {
  return result.signal !== null ? `killed by ${result.signal}` : `exit code ${result.status}`;
}

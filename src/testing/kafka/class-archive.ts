/**
 * A class-data-sharing archive of the broker's classes (the JDK's dynamic AppCDS): a broker JVM that maps it loads
 * Kafka's classes from the archive instead of parsing and verifying thousands of them from the jars, and starts on
 * about 2.4 CPU-seconds instead of 3.7 (a test run starts dozens). It is made once per Kafka cache by a broker that
 * exits normally (the JVM writes it at exit), checked by a JVM that must map it, and kept beside the jars under the
 * Java version's name (another Java makes its own). A JVM that still finds it unfit starts without it: the archive
 * only ever saves time.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { java } from './java.ts';

/** How old a lock of another process's archiving may be before it counts as abandoned (its process died). */
const STALE_LOCK_MS = 5 * 60_000;

let javaVersion: string | undefined;

/** The archive of this Java's JVM: an archive fits only the JVM build that wrote it. */
function archivePath(libs: string): string {
  javaVersion ??= createHash('sha256').update(spawnSync(java(), ['-version'], { encoding: 'utf8' }).stderr ?? '').digest('hex').slice(0, 12);
  return join(dirname(libs), `broker-classes-${javaVersion}.jsa`);
}

/** Whether a JVM maps the archive: one cut short (a broker killed while writing it) or unfit is refused with -Xshare:on. */
function mapsCleanly(archive: string, libs: string): boolean {
  const check = spawnSync(java(), ['-Xshare:on', `-XX:SharedArchiveFile=${archive}`, '-cp', join(libs, '*'), '-version'], { encoding: 'utf8' });
  return check.status === 0;
}

/** The JVM flags that map the archive, when there is one. */
export function sharedArchiveFlags(libs: string): string[] {
  const archive = archivePath(libs);
  return existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : [];
}

/**
 * Makes the archive unless it exists or another process is making it: `runBroker` starts a broker with the given
 * JVM flags, waits until it serves, and stops it with a clean exit. Best effort: a failure leaves no archive, and
 * brokers start as before.
 */
export async function makeSharedArchive(libs: string, runBroker: (jvmFlags: readonly string[]) => Promise<void>): Promise<void> {
  const archive = archivePath(libs);
  if (existsSync(archive)) return;
  const lock = `${archive}.lock`;
  if (!takeLock(lock)) return;
  const written = `${archive}.${process.pid}`;
  try {
    await runBroker([`-XX:ArchiveClassesAtExit=${written}`]);
    if (existsSync(written) && statSync(written).size > 0 && mapsCleanly(written, libs)) renameSync(written, archive);
  } catch {
    // No archive this time: brokers start without one.
  } finally {
    rmSync(written, { force: true });
    rmSync(lock, { recursive: true, force: true });
  }
}

/** mkdir is atomic: the one process that creates the lock directory makes the archive. */
function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs < STALE_LOCK_MS) return false;
      rmSync(lock, { recursive: true, force: true });
      mkdirSync(lock);
      return true;
    } catch {
      return false;
    }
  }
}

import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Test files that take a minute or more on 2 cores, slowest first, then those of 20-40 s (measured in full runs).
 * Two workers finish together only when the long files start early; a fresh clone has no timing cache, and vitest
 * would then start the largest files first, whatever they cost. A file missing from the list just runs in vitest's own order.
 */
const SLOW_FILES = [
  // It packs weir for the run (test/fixtures/packed-weir.ts); the scaffold test waits for that pack, so it comes
  // after files that do not.
  'test/integration/installed-package.test.ts',
  // On a machine without Chromium it installs Debian's package first (half a minute, mostly download): early, that
  // wait overlaps the pack and the long files instead of ending the run.
  'test/integration/dashboard.test.ts',
  'test/integration/kafka-instances.test.ts',
  'test/integration/scaffold.test.ts',
  'test/integration/kafka-exactly-once.test.ts',
  'test/integration/multi-region-faults.test.ts',
  'test/integration/multi-cluster-outage.test.ts',
  'test/integration/exactly-once.test.ts',
  'test/integration/savepoints.test.ts',
  'test/integration/instances.test.ts',
  'test/integration/kafka-reader-groups.test.ts',
  'test/testing/memory-io.test.ts',
  'examples/test/feedback-scores-kafka.test.ts',
  // Half a minute or so each: started before the many short files, so that neither worker ends the run with one.
  'test/bench/nexmark.test.ts',
  'test/integration/kafka-fencing.test.ts',
  'test/cli/weir-command.test.ts',
  'test/integration/multi-region-migration.test.ts',
  'examples/test/feedback-scores.test.ts',
  'test/integration/multi-cluster-source.test.ts',
  'test/integration/restarts-and-reruns.test.ts',
  'test/testing/kafka-io.test.ts',
  'test/cli/clusters-and-migrate.test.ts',
  'test/integration/health-score.test.ts',
];

/** vitest's sequencer, with the known slow files moved to the front. */
export class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification): number => {
      const at = SLOW_FILES.indexOf(relative(file.project.config.root, file.moduleId).replaceAll('\\', '/'));
      return at === -1 ? SLOW_FILES.length : at;
    };
    // Array.prototype.sort is stable: files off the list keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { SlowFilesFirst } from './test/slow-files-first.ts';

const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run weir's sources; the package's exports point at the build in dist/ (tsconfig.json maps them alike).
    alias: [
      { find: /^weir$/, replacement: source('./src/index.ts') },
      { find: /^weir\/kafka$/, replacement: source('./src/kafka.ts') },
      { find: /^weir\/testing$/, replacement: source('./src/testing/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/test/**/*.test.ts'],
    // Starts one local Kafka broker per run when a test file needs one (see the file), unless KAFKA_BROKERS is set.
    globalSetup: ['test/kafka-global-setup.ts', 'test/packed-weir-setup.ts'],
    // Jobs spawn their own worker threads; running test files one or two at a time keeps 2 cores from thrashing.
    maxWorkers: 2,
    sequence: { sequencer: SlowFilesFirst },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

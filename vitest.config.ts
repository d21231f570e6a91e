import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts one local Kafka broker per run when a test file needs one (see the file), unless KAFKA_BROKERS is set.
    globalSetup: ['test/kafka-global-setup.ts'],
    // Jobs spawn their own worker threads; running test files one or two at a time keeps 2 cores from thrashing.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

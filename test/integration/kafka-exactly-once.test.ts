import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultSpec } from 'weir/testing';
import { jobFaults, killAt, type Fault } from '../fixtures/crash-faults.ts';
import { restartCluster, startClusters, stopClusters, type Cluster } from '../../src/testing/kafka/broker.ts';
import { createTopic, uniqueTopic } from '../fixtures/kafka.ts';
import { expectExactlyOnceOutput, produceSequencedInput } from '../fixtures/kafka-exactly-once-check.ts';
import type { KafkaExactlyOnceSpec } from '../fixtures/kafka-exactly-once-job.ts';
import { runThroughFaults } from '../fixtures/weir-process.ts';

const JOB = 'test/fixtures/kafka-exactly-once-job.ts';
/** Processes one case may start: every SIGKILL costs one, and a case asks for at most three faults. */
const MAX_PROCESSES = 8;

interface Case {
  readonly pipeline: KafkaExactlyOnceSpec['pipeline'];
  readonly partitions: number;
  readonly parallelism: number;
  readonly events: number;
  readonly keys: number;
  readonly windowMs: number;
  readonly checkpointIntervalMs: number;
  readonly faults: readonly Fault[];
  /** Kill the broker (SIGKILL) this long after the first process starts, and start it again. */
  readonly brokerRestartAfterMs: number | undefined;
}

/**
 * Faults at points every run passes: a user function (throw, thread exit, SIGKILL), the snapshot, the gap between a
 * checkpoint's completion and its publication, and inside the sink's transaction (sent but not committed, committed
 * but not yet recorded).
 */
function faultArbitrary(parallelism: number, events: number): fc.Arbitrary<Fault> {
  // A sink subtask publishes only epochs that hold records; a windowed job may publish just once (its last windows),
  // so the transaction's own points are hit first time, or they might never fire.
  return fc.oneof(...jobFaults(parallelism, events), killAt(['before-publish'], 3), killAt(['kafka-before-commit', 'kafka-after-commit'], 1));
}

const caseArbitrary: fc.Arbitrary<Case> = fc
  .record({
    pipeline: fc.constantFrom<Case['pipeline']>('keyed', 'window'),
    partitions: fc.integer({ min: 1, max: 8 }),
    parallelism: fc.integer({ min: 1, max: 3 }),
    events: fc.integer({ min: 2_000, max: 6_000 }),
    keys: fc.integer({ min: 1, max: 60 }),
    windowMs: fc.integer({ min: 50, max: 2_000 }),
    checkpointIntervalMs: fc.integer({ min: 50, max: 200 }),
    brokerRestartAfterMs: fc.option(fc.integer({ min: 300, max: 2_500 }), { nil: undefined, freq: 3 }),
  })
  .chain((base) => fc.record({ faults: fc.array(faultArbitrary(base.parallelism, base.events), { minLength: 1, maxLength: 3 }) }).map(({ faults }) => ({ ...base, faults })));

/** One case per fault point and a broker restart, whatever the random cases pick. */
const everyPoint: [Case][] = (
  [
    { pipeline: 'keyed', partitions: 4, parallelism: 2, events: 4_000, keys: 13, windowMs: 100, checkpointIntervalMs: 60, faults: [{ point: 'kafka-before-commit', hit: 2, action: 'kill' }, { point: 'user-map', hit: 1_200, action: 'kill' }], brokerRestartAfterMs: undefined },
    { pipeline: 'window', partitions: 3, parallelism: 2, events: 4_000, keys: 7, windowMs: 300, checkpointIntervalMs: 60, faults: [{ point: 'kafka-after-commit', hit: 2, action: 'kill' }], brokerRestartAfterMs: undefined },
    { pipeline: 'keyed', partitions: 1, parallelism: 1, events: 3_000, keys: 5, windowMs: 100, checkpointIntervalMs: 80, faults: [{ point: 'before-publish', hit: 2, action: 'kill' }], brokerRestartAfterMs: 800 },
    {
      pipeline: 'window',
      partitions: 8,
      parallelism: 3,
      events: 5_000,
      keys: 40,
      windowMs: 250,
      checkpointIntervalMs: 50,
      faults: [
        { point: 'user-map', hit: 500, action: 'throw' },
        { point: 'user-map', hit: 1_000, action: 'exit-thread' },
        { point: 'async-snapshot', hit: 3, action: 'kill' },
      ],
      brokerRestartAfterMs: undefined,
    },
  ] satisfies Case[]
).map((example) => [example]);

/** Its own broker: restarting the run's shared one would break the other Kafka tests running beside this file. */
let cluster: Cluster;
let brokers: string[];
const fired = new Map<string, number>();
const workDirs: string[] = [];

beforeAll(async () => {
  [cluster] = (await startClusters(1, { ownerPid: process.pid })) as [Cluster];
  brokers = [cluster.address];
}, 120_000);

afterAll(async () => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  if (cluster !== undefined) await stopClusters([cluster], { graceMs: 0 });
  // The report the issue asks for: which faults actually fired over the whole property run.
  console.log(`Kafka exactly-once faults fired: ${JSON.stringify(Object.fromEntries(fired))}`);
}, 60_000);

async function runCase(testCase: Case): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-kafka-exactly-once-'));
  workDirs.push(dir);
  const inputTopic = uniqueTopic('eo-in');
  const outputTopic = uniqueTopic('eo-out');
  await produceSequencedInput(brokers, inputTopic, testCase.events, testCase.keys, testCase.partitions);
  await createTopic(brokers, outputTopic, 3);
  const spec: KafkaExactlyOnceSpec = {
    pipeline: testCase.pipeline,
    windowMs: testCase.windowMs,
    checkpointIntervalMs: testCase.checkpointIntervalMs,
    // About a second and a half of input, so that checkpoints (and the broker restart) fall inside the run.
    spinMsPer16: (16 * 1_500) / testCase.events,
    brokers: brokers.join(','),
    inputTopic,
    outputTopic,
    groupId: uniqueTopic('eo-group'),
  };
  const faults: FaultSpec[] = testCase.faults.map((fault, at) => ({ ...fault, marker: join(dir, `fault-${at}`) }));
  const args = ['run', JOB, '--parallelism', String(testCase.parallelism), '--job-id', 'kafka-crash-test', '--checkpoint-dir', join(dir, 'checkpoints'), '--params', JSON.stringify(spec)];

  let brokerRestart: Promise<void> | undefined;
  const startBrokerRestart = (): void => {
    const delay = testCase.brokerRestartAfterMs;
    if (delay === undefined || brokerRestart !== undefined) return;
    brokerRestart = new Promise<void>((resolve) => setTimeout(resolve, delay)).then(async () => {
      cluster = await restartCluster(cluster, { graceMs: 0 });
      fired.set('broker/restart', (fired.get('broker/restart') ?? 0) + 1);
    });
  };
  let firedNow: number;
  try {
    firedNow = await runThroughFaults(args, faults, fired, { maxProcesses: MAX_PROCESSES, started: startBrokerRestart });
  } finally {
    await brokerRestart;
  }
  expect(firedNow + (brokerRestart === undefined ? 0 : 1), `no fault fired of ${JSON.stringify(testCase.faults)}`).toBeGreaterThan(0);
  await expectExactlyOnceOutput(brokers, outputTopic, { pipeline: testCase.pipeline, events: testCase.events, keys: testCase.keys, windowMs: testCase.windowMs });
}

describe('exactly-once into Kafka through crashes and a broker restart', () => {
  it(
    'random keyed and windowed jobs over 1-8 partitions, with user exceptions, thread exits, SIGKILLs (also inside the commit gap) and broker restarts, leave exactly the failure-free output for read_committed readers',
    { timeout: 900_000 },
    async () => {
      await fc.assert(fc.asyncProperty(caseArbitrary, runCase), { numRuns: 8, examples: everyPoint, endOnFailure: true });
    },
  );
});

import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, kafkaBrokers, uniqueTopic } from '../fixtures/kafka.ts';
import { damagedCheckpoints } from '../fixtures/checkpoint-integrity.ts';
import { describeProcess, firstLoggedAt, runSchedule, type InstancePlan, type Life, type LifeOutcome } from '../fixtures/instance-schedule.ts';
import { countedOutputProblem, produceNumberedInput } from '../fixtures/kafka-instances-check.ts';
import type { KafkaInstancesSpec } from '../fixtures/kafka-instances-job.ts';
import { runWeir } from '../fixtures/weir-process.ts';
import { sleep } from '../../src/core/signal.ts';

const JOB = 'test/fixtures/kafka-instances-job.ts';
const KEYS = 50;
const VALUES_PER_KEY = 600;
const PARTITIONS = 4;
const PARALLELISM = 2;
/** How long one instance alone takes to read the whole input (paced), so that kills and takeovers fall inside it. */
const RUN_MS = 6_000;
/** No instance starts after this, and any still running is killed then; a last clean instance finishes the job. */
const DEADLINE_MS = 90_000;
/** What an instance that another one replaced says when it stops (its checkpoints' claim, or its Kafka transactional ids). */
const FENCED = /took over its checkpoints|taken over by another instance|fenced/i;
/** What it says when it stops for that reason. */
const STOPS = /this instance stops/;
/** How long stopping may take on a loaded machine. */
const STOP_WITHIN_MS = 15_000;

interface Case {
  readonly checkpointIntervalMs: number;
  readonly instances: readonly InstancePlan[];
}

/**
 * Left to end by itself (one time in four), or killed: mostly 0-6 s after its first checkpoint completed, sometimes
 * 0-15 s after its spawn (while it starts, claims the checkpoints and restores; or later, on a fast machine).
 */
const lifeArbitrary: fc.Arbitrary<Life> = fc.option(
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ afterMs: fc.integer({ min: 0, max: 6_000 }), from: fc.constant<'checkpoint'>('checkpoint') }) },
    { weight: 1, arbitrary: fc.record({ afterMs: fc.integer({ min: 0, max: 15_000 }), from: fc.constant<'spawn'>('spawn') }) },
  ),
  { nil: undefined, freq: 4 },
).map((kill) => (kill === undefined ? {} : { kill }));

/**
 * Started with the first (what a double deploy does, and the hardest case: half the time), or up to 6 s after the
 * schedule's first checkpoint (a rolling update, a zombie's replacement).
 */
const instanceArbitrary = (first: boolean): fc.Arbitrary<InstancePlan> =>
  fc
    .record({
      startAfterMs: first ? fc.constant(undefined) : fc.option(fc.integer({ min: 0, max: 6_000 }), { nil: undefined, freq: 2 }),
      lives: fc.array(lifeArbitrary, { minLength: 1, maxLength: 2 }),
      restartAfterMs: fc.integer({ min: 0, max: 1_500 }),
    })
    .map(({ startAfterMs, ...plan }) => (startAfterMs === undefined ? plan : { startAfterMs, ...plan }));

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  checkpointIntervalMs: fc.integer({ min: 100, max: 300 }),
  instances: fc.tuple(instanceArbitrary(true), fc.array(instanceArbitrary(false), { minLength: 1, maxLength: 2 })).map(([first, others]) => [first, ...others]),
});

const examples: [Case][] = (
  [
    // The user's report: a job that ran before (its first instance killed midway), then a double deploy: two instances
    // started at once restore the same checkpoint and one fences the other; the survivor (whichever it is) is killed
    // later, and one instance restarts from what the survivor checkpointed.
    {
      checkpointIntervalMs: 100,
      instances: [
        { lives: [{ kill: { afterMs: 1_500, from: 'checkpoint' } }], restartAfterMs: 0 },
        { startAfterMs: 3_000, lives: [{ kill: { afterMs: 3_000, from: 'checkpoint' } }, {}], restartAfterMs: 300 },
        { startAfterMs: 3_000, lives: [{ kill: { afterMs: 3_000, from: 'checkpoint' } }], restartAfterMs: 0 },
      ],
    },
    // Three staggered starts (a rolling update gone long), the middle one killed and restarted.
    {
      checkpointIntervalMs: 200,
      instances: [
        { lives: [{}], restartAfterMs: 0 },
        { startAfterMs: 1_000, lives: [{ kill: { afterMs: 2_000, from: 'checkpoint' } }, {}], restartAfterMs: 500 },
        { startAfterMs: 2_500, lives: [{}], restartAfterMs: 0 },
      ],
    },
    // Sequential takeover: the first killed midway, the second started after it died.
    { checkpointIntervalMs: 150, instances: [{ lives: [{ kill: { afterMs: 2_500, from: 'checkpoint' } }], restartAfterMs: 0 }, { startAfterMs: 4_000, lives: [{}], restartAfterMs: 0 }] },
  ] satisfies Case[]
).map((example) => [example]);

const workDirs: string[] = [];
/** What the schedules actually did over the property run, for the log: a property whose instances never met proves little. */
const tally = { cases: 0, processes: 0, killed: 0, fenced: 0, overlapping: 0 };
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  console.log(`concurrent instances: ${JSON.stringify(tally)}`);
});

function countLives(lives: readonly LifeOutcome[]): void {
  tally.cases++;
  tally.processes += lives.length + 1;
  tally.killed += lives.filter(({ killed }) => killed).length;
  tally.fenced += lives.filter(({ killed, stderr }) => !killed && FENCED.test(stderr)).length;
  tally.overlapping += lives.filter((one) => lives.some((other) => other !== one && other.startedAt < one.endedAt && one.startedAt < other.endedAt)).length;
}

async function runCase(testCase: Case): Promise<void> {
  const brokers = kafkaBrokers();
  const dir = mkdtempSync(join(tmpdir(), 'weir-kafka-instances-'));
  workDirs.push(dir);
  const checkpointDir = join(dir, 'checkpoints');
  // Unique per case: the sink's transactional ids and epoch markers are named after the job id.
  const jobId = uniqueTopic('instances-job');
  const inputTopic = uniqueTopic('instances-in');
  const outputTopic = uniqueTopic('instances-out');
  await produceNumberedInput(brokers, inputTopic, KEYS, VALUES_PER_KEY, PARTITIONS);
  await createTopic(brokers, outputTopic, 3);
  const perSubtask = (KEYS * VALUES_PER_KEY) / PARALLELISM;
  const spec: KafkaInstancesSpec = {
    brokers: brokers.join(','),
    inputTopic,
    outputTopic,
    groupId: uniqueTopic('instances-group'),
    checkpointIntervalMs: testCase.checkpointIntervalMs,
    sleepMsPer16: Math.max(1, Math.round((16 * RUN_MS) / perSubtask)),
  };
  // The same job id and checkpoint directory for every instance: what each container of one deployment gets.
  const args = ['run', JOB, '--parallelism', String(PARALLELISM), '--job-id', jobId, '--checkpoint-dir', checkpointDir, '--params', JSON.stringify(spec)];

  const problems = new Set<string>();
  const checkCheckpoints = async (when: string): Promise<void> => {
    for (const { reason } of await damagedCheckpoints(checkpointDir, jobId)) problems.add(`${when}: ${reason}`);
  };
  // Checked after every kill, four times a second while instances run (a damaged checkpoint may be retired within a
  // second or two, before any kill), and at the end.
  let scheduleRunning = true;
  const watching = (async () => {
    while (scheduleRunning) {
      await checkCheckpoints('while instances ran');
      await sleep(250);
    }
  })();
  const lives = await runSchedule(args, testCase.instances, {
    deadlineMs: DEADLINE_MS,
    afterKill: ({ instance, life }) => checkCheckpoints(`after instance ${instance} life ${life} was killed`),
  }).finally(() => (scheduleRunning = false));
  await watching;
  const last = await runWeir(args, { WEIR_LOG_LEVEL: 'info' });
  await checkCheckpoints('after the last instance');

  // Only a kill or the other instance's takeover may end a process before the job is done.
  for (const { instance, life, code } of lives.filter(({ killed, code, stderr }) => !killed && code !== 0 && !FENCED.test(stderr))) {
    problems.add(`instance ${instance} life ${life} failed (exit ${code}), neither killed nor fenced`);
  }
  // One that said it stops must stop: still running long after, it holds its resources and its share of the job.
  for (const { instance, life, killedAtDeadline, endedAtClock, stderr } of lives) {
    const saidItStops = firstLoggedAt(stderr, STOPS);
    if (killedAtDeadline && saidItStops !== undefined && endedAtClock - saidItStops > STOP_WITHIN_MS) {
      problems.add(`instance ${instance} life ${life} said it stops (replaced by another instance), yet still ran ${endedAtClock - saidItStops} ms later, at the deadline`);
    }
  }
  // Fencing picks one instance to go on: one replaced must leave another running, unless the job completed or one that
  // ran beside it was killed (the one that replaced it, maybe: a replaced instance learns it at its next checkpoint).
  for (const replaced of lives.filter(({ killed, code, stderr }) => !killed && code !== 0 && FENCED.test(stderr))) {
    const beside = lives.filter((other) => other !== replaced && other.startedAtClock < replaced.endedAtClock && other.endedAtClock > replaced.startedAtClock);
    const survivor = beside.find((other) => other.endedAtClock > replaced.endedAtClock || other.code === 0 || other.killed);
    if (survivor === undefined) problems.add(`instance ${replaced.instance} life ${replaced.life} stopped as replaced, but no other instance was left running (${replaced.endedAt} ms)`);
  }
  if (last.code !== 0) problems.add(`the last instance failed (exit ${last.code})`);
  const outputProblem = await countedOutputProblem(brokers, outputTopic, KEYS, VALUES_PER_KEY);
  if (outputProblem !== undefined) problems.add(`read_committed output: ${outputProblem}`);
  const story = [...lives.map((outcome) => describeProcess(`instance ${outcome.instance} life ${outcome.life}`, outcome)), describeProcess('last instance', last)];
  countLives(lives);
  expect([...problems], story.join('\n')).toEqual([]);
}

describe('two or three instances of one exactly-once Kafka job at once', () => {
  it(
    'started at random moments, killed at random and restarted, never damage a completed checkpoint, and read_committed readers see every key counted 1..N exactly once',
    { timeout: 1_200_000 },
    async () => {
      await fc.assert(fc.asyncProperty(caseArbitrary, runCase), { numRuns: examples.length + 2, examples, endOnFailure: true });
      // The examples kill instances after their first checkpoint and start them beside each other: a run where none was
      // killed or overlapped another proved nothing (the schedule never saw a checkpoint complete).
      expect(tally.killed, `instances: ${JSON.stringify(tally)}`).toBeGreaterThan(0);
      expect(tally.overlapping, `instances: ${JSON.stringify(tally)}`).toBeGreaterThan(0);
    },
  );
});

/**
 * Issue 15, Done-when 2: one cluster killed for 60 s under a running job. The job (a `weir run` process) reads a stream
 * placed on two clusters, both fed while it runs, counts readings per key in event-time windows and writes every
 * firing through a failover sink whose primary is the cluster that dies. Through the outage the process neither
 * restarts nor stops, the sink's epochs are committed on the other cluster within a checkpoint interval plus its
 * publish timeout, windows keep firing (the dead cluster's splits go idle), and once the cluster is back the job reads
 * what it held. "Committed" is when a read_committed reader of the other cluster gets the records
 * (scripts/kafka-visibility.ts), not their CreateTime, which is their send inside the transaction.
 *
 * Nothing lost, although late: the dead cluster held readings the job had not read yet (a backlog written just before
 * the kill, while the job's process was stopped for a moment). They come back a minute later, behind the watermark the
 * other cluster moved on. The job's allowedLateness covers the outage, so each of them fires its window with the new
 * count: the union of the output holds, per window, every count from its first firing to the full count exactly once,
 * and the last is the number of readings written to both clusters in that window. The backlog has keys of its own, so
 * its windows hold nothing else: none of their firings may have fired before the dead broker's restart.
 *
 * Cost: the one long test of the suite, about 3 minutes alone on 2 cores (two clusters' start, the 60 s outage, the
 * killed broker's restart, the reconnect and failback, and the half minute the restarted broker keeps its old group
 * members), several more on a loaded machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { runJob } from 'weir/testing';
import { fetchClusters } from '../../src/cli/job-client.ts';
import type { ClustersView, OperatorClusters } from '../../src/connectors/multi-region/cluster-view.ts';
import { decodeRecordId, RECORD_ID_HEADER } from '../../src/connectors/multi-region/record-id.ts';
import { FETCH_MAX_WAIT_MS } from '../../src/connectors/kafka/client/kafkajs/fetcher.ts';
import { sleep } from '../../src/core/signal.ts';
import { freePort } from '../fixtures/free-port.ts';
import { kafkaClient, uniqueTopic, useKafkaClusters } from '../fixtures/kafka-clusters.ts';
import type { Outage } from '../../src/testing/kafka/outage.ts';
import { watchVisibility } from '../../scripts/kafka-visibility.ts';
import type { MultiClusterParams } from '../fixtures/multi-cluster-job.ts';
import { INPUT_STREAM, OUTPUT_STREAM, type OutageJobSpec, type Reading, type WindowCount } from '../fixtures/multi-cluster-outage-job.ts';
import { expectNoDuplicatePerCluster, readSettledOutput } from '../fixtures/multi-region-checks.ts';
import { ReadingFeeder, windowOf, windowsNotCountedOnce } from '../fixtures/outage-readings.ts';
import { runWeir } from '../fixtures/weir-process.ts';
import { stopProcess } from '../fixtures/stopped-process.ts';

const JOB = 'test/fixtures/multi-cluster-outage-job.ts';
const UNION_JOB = fileURLToPath(new URL('../fixtures/multi-cluster-job.ts', import.meta.url));
const KILLED = 0;
const SURVIVOR = 1;
const OUTAGE_MS = 60_000;
const PARTITIONS = 2;
/** Each cluster gets a reading per key every 200 ms. */
const FEED = { keys: ['ann', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal'], partitions: PARTITIONS, everyMs: 200 };
/** Readings written to the doomed cluster just before it dies, while the job cannot read them. */
const BACKLOG = 1_000;
/** The backlog's keys: none of the feed's, so that a backlog window counts backlog readings only. */
const BACKLOG_KEYS = FEED.keys.map((key) => `held-${key}`);
/**
 * After its process has stopped, the job may still have a fetch waiting at the doomed broker, which would answer it
 * with the backlog into the stopped process's socket. The broker answers such a fetch, empty, after FETCH_MAX_WAIT_MS;
 * the backlog is written well after that (a loaded broker answers late).
 */
const FETCHES_ANSWERED_MS = FETCH_MAX_WAIT_MS + 1_000;
const SETTINGS = {
  checkpointIntervalMs: 500,
  windowMs: 1_000,
  outOfOrdernessMs: 200,
  // Covers the outage, the broker's restart and the reconnect: the dead cluster's readings are late by that much.
  allowedLatenessMs: 10 * 60_000,
  // Half the defaults; shorter ones took a loaded machine's slow answers for an outage (flapping, spurious failovers).
  requestTimeoutMs: 5_000,
  healthCheckMs: 1_000,
  // A third of the default 30 s: the test waits for the killed cluster's old members' sessions to expire.
  sessionTimeoutMs: 10_000,
  publishTimeoutMs: 5_000,
  healthCheckIntervalMs: 500,
  failbackAfterMs: 3_000,
} satisfies Partial<OutageJobSpec>;
/**
 * Beyond the code's own bounds, on 2 loaded cores: a checkpoint's completion after its barrier, the publish on the
 * surviving cluster itself up to its commit, the read_committed reader's fetch that sees the commit (up to 100 ms), a
 * window firing a watermark interval after the reading that closes it. A full suite run measured 1.6 s of it.
 */
const ALLOWANCE_MS = 2_500;
/**
 * Failover (b): one checkpoint interval (an epoch closes at the next barrier) plus the sink's publishTimeoutMs, the
 * bound that holds whatever the health checks find: share-committer.ts gives a publish on the dead primary up after it
 * (sink-cluster.ts a wait for a takeover there) and publishes on the next cluster; the health check (every
 * healthCheckIntervalMs, limited to min(publishTimeoutMs, 5 s)) can only move the epochs sooner.
 */
const PUBLISH_BOUND_MS = SETTINGS.checkpointIntervalMs + SETTINGS.publishTimeoutMs + ALLOWANCE_MS;
/** Watermarks (c): a window is committed this long after its end at most (out-of-orderness, then a publish as (b)). */
const WINDOW_BOUND_MS = SETTINGS.outOfOrdernessMs + PUBLISH_BOUND_MS;
/** Until the source finds the dead cluster (a health check that times out), its splits hold the watermark. */
const DETECTION_MS = SETTINGS.healthCheckMs + SETTINGS.requestTimeoutMs;

const kafka = useKafkaClusters(2);
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The source's reader groups on the cluster (one consumer each, see reader-groups.ts) that have a member now. */
async function liveReaderGroups(cluster: number, groupId: string): Promise<string[]> {
  const admin = kafkaClient(kafka.brokers(cluster)).admin();
  await admin.connect();
  try {
    const names = (await admin.listGroups()).groups.map((group) => group.groupId).filter((name) => name.startsWith(`${groupId}.weir-reader-`));
    return (await admin.describeGroups(names)).groups.filter((group) => group.members.length > 0).map((group) => group.groupId);
  } finally {
    await admin.disconnect();
  }
}

function operator(view: ClustersView | undefined, role: 'source' | 'sink'): OperatorClusters | undefined {
  return view?.operators.find((candidate) => candidate.role === role);
}

describe('MultiClusterKafkaSource and MultiClusterKafkaSink through a 60 s cluster outage', () => {
  it(
    'Done-when 2: no restart or stop, publishing on the other cluster in time, windows firing, the dead cluster read after it returns with nothing lost',
    { timeout: 900_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'weir-mr-outage-'));
      dirs.push(dir);
      const [killedId, survivorId] = [kafka.ids[KILLED]!, kafka.ids[SURVIVOR]!];
      const input = uniqueTopic('outage-readings');
      const output = uniqueTopic('outage-counts');
      await kafka.createTopic(input, PARTITIONS);
      await kafka.createTopic(output, PARTITIONS);
      // When each output record on the survivor becomes visible to a read_committed reader: started on the empty topic,
      // so every record is timed as it is committed (its CreateTime is its send, possibly seconds before the commit).
      const survivorReader = await watchVisibility(kafka.brokers(SURVIVOR), output);
      let survivorReaderStopped = false;
      const stopSurvivorReader = async (): Promise<void> => {
        if (survivorReaderStopped) return;
        survivorReaderStopped = true;
        await survivorReader.stop();
      };
      const metadataFile = join(dir, 'clusters.json');
      const placements = (topic: string) => [KILLED, SURVIVOR].map((index) => ({ cluster: kafka.ids[index]!, topics: [topic] }));
      writeFileSync(metadataFile, JSON.stringify(kafka.metadata({ [INPUT_STREAM]: placements(input), [OUTPUT_STREAM]: placements(output) })));
      const spec: OutageJobSpec = { ...SETTINGS, metadataFile, groupId: uniqueTopic('outage-group') };

      const port = await freePort();
      const base = new URL(`http://127.0.0.1:${port}`);
      let child: ChildProcess | undefined;
      let stderr = '';
      const args = ['run', JOB, '--parallelism', '2', '--job-id', 'mr-outage', '--checkpoint-dir', join(dir, 'checkpoints'), '--metrics-port', String(port), '--params', JSON.stringify(spec)];
      const run = runWeir(args, {}, (started) => {
        child = started;
        started.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      });
      const view = (): Promise<ClustersView | undefined> => fetchClusters(base).catch(() => undefined);
      const until = async (what: string, check: (view: ClustersView | undefined) => boolean, timeoutMs = 180_000): Promise<ClustersView> => {
        for (const deadline = Date.now() + timeoutMs; ; await sleep(250)) {
          if (child?.exitCode !== null) throw new Error(`the weir process ended (${child?.exitCode}) while waiting for ${what}:\n${stderr}`);
          const now = await view();
          if (check(now)) return now!;
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; /clusters: ${JSON.stringify(now)}`);
        }
      };
      const sinkOn = (now: ClustersView | undefined, cluster: string) => operator(now, 'sink')?.subtasks.map((subtask) => subtask.clusters.find((health) => health.cluster === cluster));
      const feeders = [KILLED, SURVIVOR].map((index) => new ReadingFeeder(() => kafka.brokers(index), kafka.ids[index]!, input, FEED)) as [ReadingFeeder, ReadingFeeder];
      const backlog: Reading[] = [];
      let killedAt = 0;
      let restartAt = 0;
      let returnedAt = 0;
      let stopping = false;
      let readerGroups: string[] = [];
      const views: ClustersView[] = [];
      try {
        await Promise.all(feeders.map((feeder) => feeder.start()));
        // Steady before the kill: both sink subtasks publishing on the primary, windows fired there for a few seconds.
        await until('both sink subtasks to publish on the primary', (now) => sinkOn(now, killedId)?.length === 2 && sinkOn(now, killedId)!.every((health) => (health?.epochsPublished ?? 0) > 0));
        await sleep(3_000);

        // The doomed cluster dies holding readings the job has not read: the job's process is stopped (SIGSTOP, a
        // second or two, as a long GC pause would) while they are written and the cluster is killed, so it reads none of
        // them before it dies. A stand-in for a job that is behind. Written only once every thread of the process has
        // stopped and any fetch it had waiting at the broker was answered: either would hand the job part of the backlog
        // before the kill (a run counted one source subtask's partition, 500 of 1000, before the restart).
        await feeders[KILLED].pause();
        let outage: Outage;
        try {
          await stopProcess(child!.pid!);
          await sleep(FETCHES_ANSWERED_MS);
          const ts = Date.now();
          backlog.push(...Array.from({ length: BACKLOG }, (_, index): Reading => ({ id: `${killedId}-backlog-${index}`, key: BACKLOG_KEYS[index % BACKLOG_KEYS.length]!, ts })));
          await feeders[KILLED].send(backlog);
          await feeders[KILLED].close();
          outage = await kafka.beginOutage(KILLED, 'kill');
        } finally {
          child!.kill('SIGCONT');
        }
        killedAt = outage.since;
        // (a) through the outage the process runs, and says what it sees.
        while (Date.now() < killedAt + OUTAGE_MS) {
          expect(child?.exitCode, `the weir process ended during the outage:\n${stderr}`).toBeNull();
          const now = await view();
          if (now !== undefined) views.push(now);
          await sleep(1_000);
        }
        restartAt = Date.now();
        // Only commits during the outage are timed.
        await stopSurvivorReader();
        // A JVM start takes seconds, or minutes on a loaded machine.
        await outage.end({ readyTimeoutMs: 300_000 });
        returnedAt = Date.now();
        await feeders[KILLED].start();
        // Back: the source reads the cluster again, and the sink's epochs go to the primary again (failback).
        await until(
          'the source to read the returned cluster and the sink to fail back to it',
          (now) =>
            operator(now, 'source')?.clusters.find((cluster) => cluster.cluster === killedId)?.reachable === true &&
            sinkOn(now, killedId)?.every((health) => health?.receiving === true && health.reachable) === true,
        );
        await sleep(2_000);
        // Closers: a reading on every partition of both clusters far enough ahead that the watermark passes every window
        // written (their own windows never fire); then the job is stopped once it has read everything.
        await Promise.all(feeders.map((feeder) => feeder.pause()));
        const closerTs = Math.max(...feeders.flatMap((feeder) => feeder.sent.map((reading) => reading.ts))) + 5 * SETTINGS.windowMs;
        const seenCheckpoint = operator(await view(), 'source')?.clusters[0]?.lagAtCheckpoint?.checkpointId ?? 0;
        for (const feeder of feeders) await feeder.send(Array.from({ length: PARTITIONS }, (_, index): Reading => ({ id: `closer-${index}-${Math.random()}`, key: 'closer', ts: closerTs })));
        await until('the source to have read both clusters to their end at a completed checkpoint', (now) => {
          const clusters = operator(now, 'source')?.clusters ?? [];
          return clusters.length === 2 && clusters.every((cluster) => cluster.lagAtCheckpoint !== undefined && cluster.lagAtCheckpoint.checkpointId > seenCheckpoint + 1 && cluster.lagAtCheckpoint.lagRecords === 0);
        });
        // The last windows fire on the closers' watermark and their epochs complete; the stop publishes the rest.
        await sleep(3 * SETTINGS.checkpointIntervalMs + ALLOWANCE_MS);
        // The restarted broker keeps the members its groups had before the kill until their sessions expire; after
        // that, only consumers that run are members.
        await sleep(Math.max(0, returnedAt + SETTINGS.sessionTimeoutMs + 5_000 - Date.now()));
        readerGroups = await liveReaderGroups(KILLED, spec.groupId);
        views.push((await view())!);
        stopping = true;
        child!.kill('SIGTERM');
      } finally {
        await Promise.all(feeders.map((feeder) => feeder.close().catch(() => {})));
        await stopSurvivorReader().catch(() => {}); // stopped after the outage already, unless the test failed before
        if (!stopping && child?.exitCode === null) child.kill('SIGKILL');
      }
      const outcome = await run;

      // (a) No restart and no stop: the process ran until the test stopped it (with a savepoint), and never restarted.
      expect.soft(outcome.code, outcome.stderr).toBe(0);
      expect.soft(outcome.stderr).toMatch(/stopped with savepoint/);
      expect.soft(outcome.stderr.split('\n').filter((line) => line.includes('restarting after')), 'the job restarted').toEqual([]);
      // What the job reported meanwhile: the dead cluster unreachable for the source, the sink's epochs on the survivor.
      const sourceSawItDown = views.some((now) => operator(now, 'source')?.clusters.find((cluster) => cluster.cluster === killedId)?.reachable === false);
      expect.soft(sourceSawItDown, 'the source reported the killed cluster unreachable').toBe(true);
      const sinkMoved = views.some((now) => sinkOn(now, survivorId)?.every((health) => health?.receiving === true) === true && sinkOn(now, killedId)?.every((health) => health?.receiving === false) === true);
      expect.soft(sinkMoved, "the sink reported every subtask's epochs going to the surviving cluster").toBe(true);
      expect.soft(operator(views.at(-1), 'sink')?.clusters.find((cluster) => cluster.cluster === killedId)?.failovers, 'failovers away from the killed cluster').toBeGreaterThan(0);

      // The readers dropped when the cluster died fetch nothing once it is back (their consumers do not restart): one
      // live consumer per source subtask there.
      expect.soft(readerGroups.map((name) => name.replace(/-[0-9a-f]+$/, '')).sort(), `live reader groups on ${killedId}: ${readerGroups.join(', ')}`).toEqual([0, 1].map((subtask) => `${spec.groupId}.weir-reader-${subtask}`));

      // Per cluster, read_committed: no record twice. The job has stopped, every transaction ended: one read suffices.
      const held = await readSettledOutput(kafka, output, [KILLED, SURVIVOR], 0, 0);
      expectNoDuplicatePerCluster(kafka.ids, held);
      const published = [...held].flatMap(([index, records]) =>
        records.map((record) => ({
          ...(JSON.parse(record.value!) as WindowCount),
          cluster: index,
          // CreateTime: when the sink sent it in its transaction. A bound on when it was committed from below only.
          sentAt: record.timestamp,
          // When a read_committed reader of the survivor got it, for the survivor's records committed during the outage.
          visibleAt: index === SURVIVOR ? survivorReader.visibleAt(record.partition, record.offset) : undefined,
          producer: decodeRecordId(record.headers[RECORD_ID_HEADER]!)!.producer,
        })),
      );

      // (b) Publishing goes on elsewhere: per sink subtask (the producer of its records' weir-id), the first of its
      // records committed on the survivor during the outage becomes visible within PUBLISH_BOUND_MS of the kill. The
      // epoch being published at the kill is given up on the dead primary after publishTimeoutMs; one closed after it (a
      // checkpoint interval at most) goes straight to the survivor once a failed publish or health check marked the
      // primary down, else after its own publishTimeoutMs there.
      const duringOutage = (at: number | undefined): at is number => at !== undefined && at >= killedAt && at < restartAt;
      const producers = [...new Set(published.map((record) => record.producer))];
      expect.soft(producers, 'sink subtasks seen').toHaveLength(2);
      const firstOnSurvivor = producers.map((producer) => Math.min(...published.filter((record) => record.producer === producer).map((record) => record.visibleAt).filter(duringOutage)) - killedAt);
      // Printed beside it: the longest a firing around the kill waited for its commit (epochs queue behind the one given up).
      const delays = published.filter((record) => record.firedAt >= killedAt - SETTINGS.checkpointIntervalMs && duringOutage(record.visibleAt)).map((record) => record.visibleAt! - record.firedAt);
      const sendToCommit = published.filter((record) => duringOutage(record.visibleAt)).map((record) => record.visibleAt! - record.sentAt);

      // (c) Windows keep firing: every window that ended while the cluster was dead (from when the source found it dead)
      // became visible on the survivor within WINDOW_BOUND_MS of its end (the dead cluster cannot show it meanwhile).
      const firstVisibleOfEnd = new Map<number, number>();
      for (const record of published) if (duringOutage(record.visibleAt)) firstVisibleOfEnd.set(record.end, Math.min(record.visibleAt, firstVisibleOfEnd.get(record.end) ?? Infinity));
      const stalled: string[] = [];
      const windowLags: number[] = [];
      for (let end = Math.ceil((killedAt + DETECTION_MS) / SETTINGS.windowMs) * SETTINGS.windowMs; end <= restartAt - WINDOW_BOUND_MS; end += SETTINGS.windowMs) {
        const at = firstVisibleOfEnd.get(end);
        if (at !== undefined) windowLags.push(at - end);
        if (at === undefined || at - end > WINDOW_BOUND_MS) stalled.push(`window ending ${end - killedAt} ms after the kill: ${at === undefined ? `not visible on ${survivorId} before the restart` : `visible ${at - end} ms after its end`}`);
      }
      console.log(
        `outage: first record committed on ${survivorId} per sink subtask ${firstOnSurvivor.join(' ms, ')} ms after ${killedId} was killed (bound ${PUBLISH_BOUND_MS} ms); ` +
          `windows of the outage visible at most ${Math.max(...windowLags)} ms after their end over ${windowLags.length} windows (bound ${WINDOW_BOUND_MS} ms); ` +
          `firing to commit at most ${Math.max(...delays)} ms; send to commit at most ${Math.max(...sendToCommit)} ms; ${killedId} answered again ${returnedAt - restartAt} ms after its restart began`,
      );
      expect.soft(firstOnSurvivor.every((ms) => ms <= PUBLISH_BOUND_MS), `first record committed on the survivor per sink subtask, ms after the kill: ${firstOnSurvivor.join(', ')}`).toBe(true);
      expect.soft(stalled, 'windows that did not fire in time while the cluster was dead').toEqual([]);

      // Failback: firings published on the primary after it returned (sent after it, so committed after it too).
      expect.soft(published.some((record) => record.cluster === KILLED && record.sentAt >= returnedAt), 'published on the primary after it returned').toBe(true);

      // (d) Nothing lost, nothing twice: the union of both clusters read through weir's multi-cluster source (which
      // drops an epoch's copy that another cluster delivered first) has, per window, every count from its first firing
      // to the number of readings written in it, once each.
      const unionParams: MultiClusterParams = {
        metadataFile,
        stream: OUTPUT_STREAM,
        groupId: uniqueTopic('outage-union'),
        parallelism: 2,
        checkpointIntervalMs: 200,
        seenFile: join(dir, 'union.jsonl'),
        requestTimeoutMs: 3_000,
        bounded: true,
      };
      const union = (await runJob({ jobModule: UNION_JOB, params: unionParams, threads: 2, logLevel: 'warn' })).outputs.get('events') as unknown as WindowCount[];
      const written = [...feeders[KILLED].sent, ...feeders[SURVIVOR].sent].filter((reading) => reading.key !== 'closer');
      expect.soft(windowsNotCountedOnce(union, written, SETTINGS.windowMs), 'windows whose firings in the union are not each count from the first to the full one, once').toEqual([]);

      // The dead cluster's backlog was read after it returned, all of it once: its windows (keys of their own) are among
      // those counted once above, each up to every reading written in it, and none of their firings fired (firedAt, the
      // window's wall clock, after the readings it counts were read) before the killed broker's restart began, from
      // when it could serve again (the job's client may reach it before this test's readiness check, returnedAt).
      const backlogWindows = new Set(backlog.map((reading) => windowOf(reading.key, reading.ts, SETTINGS.windowMs)));
      const backlogFirings = union.filter((firing) => backlogWindows.has(windowOf(firing.key, firing.start, SETTINGS.windowMs)));
      const backlogCounted = [...backlogWindows].reduce((sum, window) => sum + Math.max(0, ...backlogFirings.filter((firing) => windowOf(firing.key, firing.start, SETTINGS.windowMs) === window).map((firing) => firing.count)), 0);
      const firedBeforeRestart = backlogFirings.filter((firing) => firing.firedAt < restartAt);
      const earlyWindows = [...new Set(firedBeforeRestart.map((firing) => windowOf(firing.key, firing.start, SETTINGS.windowMs)))].map((window) => {
        const early = firedBeforeRestart.filter((firing) => windowOf(firing.key, firing.start, SETTINGS.windowMs) === window);
        return `${window}: counted up to ${Math.max(...early.map((firing) => firing.count))}, the first ${restartAt - Math.min(...early.map((firing) => firing.firedAt))} ms before the restart`;
      });
      console.log(`outage: ${backlogCounted} of ${BACKLOG} backlog readings on ${killedId} counted, ${firedBeforeRestart.length} backlog firings before its restart; union ${union.length} firings`);
      expect.soft(backlogCounted, 'backlog readings of the killed cluster counted in the union').toBe(BACKLOG);
      expect.soft(earlyWindows, 'backlog windows that fired before the killed broker restarted (readings it held read before it was back)').toEqual([]);
    },
  );
});

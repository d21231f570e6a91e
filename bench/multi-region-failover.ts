import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTopic, type Cluster } from '../scripts/kafka-broker.ts';
import { clusterId, localMetadata, onEvery, writeMetadataFile } from '../scripts/kafka-metadata.ts';
import { beginOutage } from '../scripts/kafka-outage.ts';
import { createKafkaClient, type KafkaAdmin } from '../src/connectors/kafka/client/index.ts';
import { decodeRecordId, RECORD_ID_HEADER } from '../src/connectors/multi-region/record-id.ts';
import { sleep } from '../src/core/signal.ts';
import type { Line } from './child-runner.ts';
import { readCommitted } from './kafka-topics.ts';

/**
 * One failover measurement of the `multi-region` bench (bench/README.md, "Multi-region Kafka"): the example runs as a
 * user runs it (`weir run ... --params '{"demoRatings":...}'`, its demo writing ratings into both clusters), with the
 * scores in failover mode on [us-east, eu-west]. Once it publishes steadily on us-east, us-east's broker is SIGKILLed
 * (scripts/kafka-outage.ts); the failover time is from the kill to the first epoch of scores committed on eu-west.
 *
 * How the commit is seen: eu-west's read_committed end offsets of the scores topic (the last stable offset, which
 * moves when a transaction's commit marker is written) are polled every POLL_MS from the kill on; a record counts as
 * published at the first poll whose answer has that record's partition's end past its offset. That is the commit as
 * any read_committed reader sees it, to within one poll (the resolution is printed), and is independent of the job's
 * own reporting (`/clusters` reports at barriers). The records themselves are read afterwards, so an aborted
 * transaction, which moves the end offset too, is never taken for a publish; their `weir-id` header gives each sink
 * subtask's first epoch there.
 */

const EXAMPLE = fileURLToPath(new URL('../examples/feedback-scores-multi-region.ts', import.meta.url));
const WEIR = fileURLToPath(new URL('../bin/weir.js', import.meta.url));
const PARTITIONS = 4;
/** Far more demo ratings than a run reads (4,000 a second): the job never runs out of input while measured. */
const DEMO_RATINGS = 10_000_000;
/** Nothing new on eu-west for this long after the first scores on us-east: the job publishes steadily on us-east. */
const STEADY_MS = 5_000;
/** After the first publish on eu-west, time for every other sink subtask to fail over too. */
const AFTER_FIRST_MS = 15_000;
const POLL_MS = 20;
const TIMEOUT_MS = 180_000;

interface EndsSnapshot {
  /** The read_committed end offset of each partition. */
  readonly ends: ReadonlyMap<number, number>;
  /** Date.now() when the answer came. */
  readonly at: number;
}

/** One run: kill `clusters[0]` under the running example and time its scores' arrival on `clusters[1]`. */
export async function measureFailover(clusters: readonly Cluster[], run: string, parallelism: number, onRestarted: (cluster: Cluster) => void): Promise<Line> {
  const [primary, secondary] = clusters as [Cluster, Cluster];
  const dir = mkdtempSync(join(tmpdir(), 'weir-bench-failover-'));
  const ratings = `${run}-ratings`;
  const scores = `${run}-scores`;
  const line: Line = { bench: 'multi-region', measure: 'failover', parallelism, killed: clusterId(primary.index), failoverTo: clusterId(secondary.index) };
  let job: ChildProcess | undefined;
  const admins: KafkaAdmin[] = [];
  const clients = [primary, secondary].map((cluster) => createKafkaClient({ brokers: cluster.address, clientId: 'weir-bench-failover' }));
  try {
    for (const cluster of clusters) for (const topic of [ratings, scores]) await createTopic([cluster.address], topic, PARTITIONS);
    const metadataFile = join(dir, 'clusters.json');
    await writeMetadataFile(metadataFile, localMetadata(clusters, { ratings: onEvery(clusters, ratings), scores: onEvery(clusters, scores) }));
    const log = openSync(join(dir, 'job.log'), 'w');
    job = spawn(
      process.execPath,
      [WEIR, 'run', EXAMPLE, '--parallelism', String(parallelism), '--checkpoint-dir', join(dir, 'checkpoints'), '--job-id', run,
        '--params', JSON.stringify({ clusters: metadataFile, demoRatings: DEMO_RATINGS })],
      { stdio: ['ignore', 'ignore', log], env: { ...process.env, WEIR_LOG_LEVEL: 'warn' } },
    );
    closeSync(log);
    let exited: string | undefined;
    job.on('exit', (code, signal) => (exited = signal ?? `exit ${code}`));
    const [primaryAdmin, secondaryAdmin] = await Promise.all(clients.map((client) => client.admin()));
    admins.push(primaryAdmin!, secondaryAdmin!);
    const endsOf = async (admin: KafkaAdmin): Promise<Map<number, number>> => new Map([...(await admin.offsetRange(scores))].map(([partition, { high }]) => [partition, high]));
    const total = (ends: ReadonlyMap<number, number>): number => [...ends.values()].reduce((sum, end) => sum + end, 0);

    // Steady: scores on the primary, and nothing new on the secondary for STEADY_MS. (The first takeover on a broker
    // just restarted may be slow, and the first epochs go to the secondary meanwhile: those are left out below.)
    const deadline = Date.now() + TIMEOUT_MS;
    while (total(await endsOf(primaryAdmin!)) === 0) {
      if (exited !== undefined) throw new Error(`the job ended (${exited}) before it published: ${tail(dir)}`);
      if (Date.now() > deadline) throw new Error(`no scores on ${clusterId(primary.index)} after ${TIMEOUT_MS} ms: ${tail(dir)}`);
      await sleep(200);
    }
    let before = await endsOf(secondaryAdmin!);
    for (;;) {
      await sleep(STEADY_MS);
      const now = await endsOf(secondaryAdmin!);
      if (total(now) === total(before)) break;
      if (Date.now() > deadline) throw new Error(`scores still go to ${clusterId(secondary.index)} ${TIMEOUT_MS} ms after the start: no steady primary to kill`);
      before = now;
    }
    const newOnSecondary = (ends: ReadonlyMap<number, number>): boolean => [...ends].some(([partition, end]) => end > (before.get(partition) ?? 0));

    const snapshots: EndsSnapshot[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          snapshots.push({ ends: await endsOf(secondaryAdmin!), at: Date.now() });
        } catch (error) {
          process.stderr.write(`[bench multi-region] polling ${clusterId(secondary.index)}'s end offsets failed once: ${error instanceof Error ? error.message : String(error)}\n`);
        }
        await sleep(POLL_MS);
      }
    })();
    const killedAt = Date.now();
    const outage = await beginOutage(primary, 'kill');
    try {
      while (!snapshots.some(({ ends }) => newOnSecondary(ends))) {
        if (exited !== undefined) throw new Error(`the job ended (${exited}) after the kill: ${tail(dir)}`);
        if (Date.now() > killedAt + TIMEOUT_MS) throw new Error(`nothing published on ${clusterId(secondary.index)} ${TIMEOUT_MS} ms after the kill`);
        await sleep(50);
      }
      await sleep(AFTER_FIRST_MS);
    } finally {
      polling = false;
      await poller.catch(() => undefined);
      await stopJob(job);
      onRestarted(await outage.end());
    }

    // Each record committed on the secondary after the kill, and when it became visible.
    const firstByProducer = new Map<string, { visible: number; sent: number; epoch: number }>();
    await readCommitted(secondary.address, scores, (message, partition) => {
      const id = decodeRecordId(message.headers?.[RECORD_ID_HEADER] as Buffer | undefined);
      if (id === undefined) throw new Error(`a score on ${clusterId(secondary.index)} without a ${RECORD_ID_HEADER} header`);
      const offset = Number(message.offset);
      if (offset < (before.get(partition) ?? 0)) return; // published before the kill
      const visible = snapshots.find(({ ends }) => (ends.get(partition) ?? 0) > offset)?.at;
      if (visible === undefined) return; // committed after the polling ended
      const first = firstByProducer.get(id.producer);
      if (first === undefined || visible < first.visible) firstByProducer.set(id.producer, { visible, sent: Number(message.timestamp), epoch: id.epoch });
    });
    const firsts = [...firstByProducer.values()];
    if (firsts.length === 0) throw new Error(`no score committed on ${clusterId(secondary.index)} while it was watched`);
    const gaps = snapshots.slice(1).map((snapshot, i) => snapshot.at - snapshots[i]!.at);
    return {
      ...line,
      firstEpochPublishedMs: Math.min(...firsts.map(({ visible }) => visible)) - killedAt,
      everySubtaskPublishedMs: Math.max(...firsts.map(({ visible }) => visible)) - killedAt,
      subtasksFailedOver: firsts.length,
      firstRecordSentMs: Math.min(...firsts.map(({ sent }) => sent)) - killedAt,
      pollResolutionMs: Math.max(...gaps),
      onSecondaryBeforeKill: total(before),
    };
  } catch (error) {
    return { ...line, error: error instanceof Error ? error.message : String(error) };
  } finally {
    if (job !== undefined) await stopJob(job);
    await Promise.all(admins.map((admin) => admin.close().catch(() => undefined)));
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SIGTERM (a savepoint, then exit), SIGKILL after 60 s. */
async function stopJob(job: ChildProcess): Promise<void> {
  if (job.exitCode !== null || job.signalCode !== null) return;
  const exited = new Promise((resolve) => job.once('exit', resolve));
  job.kill('SIGTERM');
  const killer = setTimeout(() => job.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(killer);
}

function tail(dir: string): string {
  try {
    return readFileSync(join(dir, 'job.log'), 'utf8').trimEnd().split('\n').slice(-20).join('\n');
  } catch {
    return '(no job log)';
  }
}

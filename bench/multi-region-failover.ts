import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTopic, type Cluster } from '../scripts/kafka-broker.ts';
import { clusterId, localMetadata, onEvery, writeMetadataFile } from '../scripts/kafka-metadata.ts';
import { beginOutage } from '../scripts/kafka-outage.ts';
import { watchVisibility, type VisibilityWatch } from '../scripts/kafka-visibility.ts';
import { createKafkaClient, type KafkaAdmin } from '../src/connectors/kafka/client/index.ts';
import { decodeRecordId, RECORD_ID_HEADER } from '../src/connectors/multi-region/record-id.ts';
import { sleep } from '../src/core/signal.ts';
import type { Line } from './child-runner.ts';

/**
 * One failover measurement of the `multi-region` bench (bench/README.md, "Multi-region Kafka"): the example runs as a
 * user runs it (`weir run ... --params '{"demoRatings":...}'`, its demo writing ratings into both clusters), with the
 * scores in failover mode on [us-east, eu-west]. Once it publishes steadily on us-east, us-east's broker is SIGKILLed
 * (scripts/kafka-outage.ts); the failover time is from the kill to the first epoch of scores committed on eu-west.
 *
 * How the commit is seen: a read_committed reader of eu-west's scores topic runs from before the job starts
 * (scripts/kafka-visibility.ts) and stamps each record when it gets it, which is after its transaction's commit and
 * about one fetch (100 ms broker wait at most) later. That is the commit as any read_committed reader sees it,
 * independent of the job's own reporting (`/clusters` reports at barriers); an aborted transaction's records never
 * reach it. Their `weir-id` header gives each sink subtask's first epoch there. (Not the admin's end offsets: kafkajs
 * asks them read_uncommitted, so they move at the send.)
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
const TIMEOUT_MS = 180_000;

/** One run: kill `clusters[0]` under the running example and time its scores' arrival on `clusters[1]`. */
export async function measureFailover(clusters: readonly Cluster[], run: string, parallelism: number, onRestarted: (cluster: Cluster) => void): Promise<Line> {
  const [primary, secondary] = clusters as [Cluster, Cluster];
  const dir = mkdtempSync(join(tmpdir(), 'weir-bench-failover-'));
  const ratings = `${run}-ratings`;
  const scores = `${run}-scores`;
  const line: Line = { bench: 'multi-region', measure: 'failover', parallelism, killed: clusterId(primary.index), failoverTo: clusterId(secondary.index) };
  let job: ChildProcess | undefined;
  let secondaryReader: VisibilityWatch | undefined;
  const admins: KafkaAdmin[] = [];
  const clients = [primary, secondary].map((cluster) => createKafkaClient({ brokers: cluster.address, clientId: 'weir-bench-failover' }));
  try {
    for (const cluster of clusters) for (const topic of [ratings, scores]) await createTopic([cluster.address], topic, PARTITIONS);
    const metadataFile = join(dir, 'clusters.json');
    await writeMetadataFile(metadataFile, localMetadata(clusters, { ratings: onEvery(clusters, ratings), scores: onEvery(clusters, scores) }));
    // On the empty topic: every score is timed as it is committed, none caught up late.
    secondaryReader = await watchVisibility([secondary.address], scores);
    const reader = secondaryReader;
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
    // Written on the secondary before the steady look (its end offsets are the high watermark): not this failover's.
    const afterKill = (partition: number, offset: number): boolean => offset >= (before.get(partition) ?? 0);

    const killedAt = Date.now();
    const outage = await beginOutage(primary, 'kill');
    try {
      while (!reader.records.some(({ record }) => afterKill(record.partition, record.offset))) {
        if (exited !== undefined) throw new Error(`the job ended (${exited}) after the kill: ${tail(dir)}`);
        if (Date.now() > killedAt + TIMEOUT_MS) throw new Error(`nothing published on ${clusterId(secondary.index)} ${TIMEOUT_MS} ms after the kill`);
        await sleep(50);
      }
      await sleep(AFTER_FIRST_MS);
    } finally {
      secondaryReader = undefined;
      await reader.stop();
      await stopJob(job);
      onRestarted(await outage.end());
    }

    // Each record committed on the secondary after the kill, and when it became visible.
    const firstByProducer = new Map<string, { visible: number; sent: number; epoch: number }>();
    for (const { record, visibleAt: visible } of reader.records) {
      const id = decodeRecordId(record.headers[RECORD_ID_HEADER]);
      if (id === undefined) throw new Error(`a score on ${clusterId(secondary.index)} without a ${RECORD_ID_HEADER} header`);
      if (!afterKill(record.partition, record.offset)) continue;
      const first = firstByProducer.get(id.producer);
      if (first === undefined || visible < first.visible) firstByProducer.set(id.producer, { visible, sent: record.timestamp, epoch: id.epoch });
    }
    const firsts = [...firstByProducer.values()];
    if (firsts.length === 0) throw new Error(`no score committed on ${clusterId(secondary.index)} while it was watched`);
    return {
      ...line,
      firstEpochPublishedMs: Math.min(...firsts.map(({ visible }) => visible)) - killedAt,
      everySubtaskPublishedMs: Math.max(...firsts.map(({ visible }) => visible)) - killedAt,
      subtasksFailedOver: firsts.length,
      firstRecordSentMs: Math.min(...firsts.map(({ sent }) => sent)) - killedAt,
      onSecondaryBeforeKill: total(before),
    };
  } catch (error) {
    return { ...line, error: error instanceof Error ? error.message : String(error) };
  } finally {
    if (job !== undefined) await stopJob(job);
    await secondaryReader?.stop().catch(() => undefined);
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

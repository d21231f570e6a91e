/**
 * Done-when 3 of multi-region Kafka: a running job moves from cluster A to cluster B while a producer feeds it, the
 * producer itself moving from A to B mid-run; `weir migrate` (the CLI, as an operator runs it) drives the phases.
 * Nothing is lost or doubled per key, the job never restarts, and A leaves the job only after its drain was proven:
 * the migration sits in `drain`, saying that A's end offsets still move, for as long as the producer writes there.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runJob, type JobResult } from 'weir/testing';
import { createKafkaClient, type KafkaClient, type KafkaProducer } from '../../src/connectors/kafka/client/index.ts';
import type { ClustersView } from '../../src/connectors/multi-region/cluster-view.ts';
import { RECORD_ID_HEADER } from '../../src/connectors/multi-region/record-id.ts';
import { sleep } from '../../src/core/signal.ts';
import { uniqueTopic, useKafkaClusters } from '../fixtures/kafka-clusters.ts';
import { INPUT, OUTPUT, type CountedEvent, type KeyedEvent, type MigrationJobSpec } from '../fixtures/migration-job.ts';
import { UNION, type UnionReaderSpec } from '../fixtures/multi-region-union-job.ts';
import { runWeir } from '../fixtures/weir-process.ts';

const JOB = fileURLToPath(new URL('../fixtures/migration-job.ts', import.meta.url));
const UNION_JOB = fileURLToPath(new URL('../fixtures/multi-region-union-job.ts', import.meta.url));
const PARTITIONS = 3;
const KEYS = Array.from({ length: 6 }, (_, index) => `key-${index}`);
/** How long A's end offsets must stand still before `weir migrate` counts its producers as moved. */
const QUIET_MS = 1_500;
/** How long the producer keeps writing to A once the migration sits in `drain`: many times the quiet time. */
const HOLD_ON_A_MS = 3 * QUIET_MS;

const kafka = useKafkaClusters(2);
const [A, B] = [0, 1];
/** The streams' topics: the pool's clusters hold what earlier test files (or an earlier run of this one, watching) wrote. */
const [IN_TOPIC, OUT_TOPIC] = [uniqueTopic('migration-in'), uniqueTopic('migration-out')];
const dir = mkdtempSync(join(tmpdir(), 'weir-migration-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Writes each key's next record every tick (seq from 1 per key) to the cluster it is on, one send at a time, acked:
 * `written` is exactly what reached Kafka. `moveTo` switches clusters between two sends, as a producer redeployed
 * against another region would.
 */
class MovingProducer {
  readonly written = new Map<string, number>();
  readonly writtenTo = new Map<number, number>();
  private readonly clients = new Map<number, { client: KafkaClient; producer: KafkaProducer }>();
  private cluster = A;
  private sending: Promise<void> = Promise.resolve();
  private running: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;

  async start(): Promise<void> {
    for (const index of [A, B]) {
      const client = createKafkaClient({ brokers: kafka.brokers(index), clientId: `migration-producer-${index}` });
      this.clients.set(index, { client, producer: await client.producer() });
    }
    this.running = this.loop();
  }

  /** Moves to `cluster` between two sends; resolves once the last send to the old cluster was acked. */
  async moveTo(cluster: number): Promise<void> {
    this.cluster = cluster;
    await this.sending;
  }

  /** Stops after the send under way and closes the clients (once, however often called). */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const running = this.running;
      this.running = undefined;
      await running;
      for (const { client, producer } of this.clients.values()) {
        await producer.close();
        await client.close();
      }
    })();
    return this.stopped;
  }

  private async loop(): Promise<void> {
    while (this.stopped === undefined) {
      const cluster = this.cluster;
      const events: KeyedEvent[] = KEYS.map((key) => ({ key, seq: (this.written.get(key) ?? 0) + 1 }));
      // A failed send fails the test: a retry here could write a record twice and blame the job for it.
      this.sending = this.clients.get(cluster)!.producer.send([
        { topic: IN_TOPIC, partition: undefined, records: events.map((event) => ({ key: Buffer.from(event.key), value: Buffer.from(JSON.stringify(event)) })) },
      ]);
      await this.sending;
      for (const event of events) this.written.set(event.key, event.seq);
      this.writtenTo.set(cluster, (this.writtenTo.get(cluster) ?? 0) + events.length);
      await sleep(100);
    }
  }
}

/** `weir migrate` as its own process, its output lines kept with the time each arrived. */
function startMigrate(args: readonly string[]): { lines: { at: number; text: string }[]; exited: ReturnType<typeof runWeir> } {
  const lines: { at: number; text: string }[] = [];
  let partial = '';
  const exited = runWeir(args, {}, (child) =>
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const complete = text.split('\n');
      partial = complete.pop()!;
      for (const line of complete) lines.push({ at: Date.now(), text: line });
    }),
  );
  return { lines, exited };
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

function phaseOf(metadataFile: string): string | undefined {
  return (JSON.parse(readFileSync(metadataFile, 'utf8')) as { migration?: { phase: string } }).migration?.phase;
}

/** Each key's values of `field` over the records, sorted: 1..n once each when nothing was lost or doubled. */
function perKey(records: readonly CountedEvent[], field: 'seq' | 'n'): Map<string, number[]> {
  const values = new Map<string, number[]>();
  for (const record of records) values.set(record.key, [...(values.get(record.key) ?? []), record[field]]);
  for (const list of values.values()) list.sort((x, y) => x - y);
  return values;
}

const oneToN = (n: number): number[] => Array.from({ length: n }, (_, index) => index + 1);

describe('moving a running job from one cluster to another (weir migrate)', () => {
  it('loses and doubles nothing per key, never restarts the job, and removes A only once its producer moved and the job read all of it', { timeout: 420_000 }, async () => {
    const started = Date.now();
    const took = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    await kafka.createTopic(IN_TOPIC, PARTITIONS);
    await kafka.createTopic(OUT_TOPIC, PARTITIONS);
    const [idA, idB] = [kafka.ids[A]!, kafka.ids[B]!];
    const metadataFile = join(dir, 'clusters.json');
    writeFileSync(metadataFile, JSON.stringify(kafka.metadata({ [INPUT]: [{ cluster: idA, topics: [IN_TOPIC] }], [OUTPUT]: [{ cluster: idA, topics: [OUT_TOPIC] }] }), null, 2));

    const producer = new MovingProducer();
    await producer.start();

    const spec: MigrationJobSpec = { metadataFile, groupId: uniqueTopic('migration-job'), checkpointIntervalMs: 300 };
    const stop = new AbortController();
    let base: string | undefined;
    const running = runJob({
      jobModule: JOB,
      params: spec,
      parallelism: 2,
      logLevel: 'warn',
      metricsPort: 0,
      savepointDir: join(dir, 'savepoints'),
      stopWithSavepoint: stop.signal,
      onStatus: (line) => (base ??= /^metrics at (http:\/\/[^/]+)\/metrics$/.exec(line)?.[1]),
    });
    let result: JobResult | undefined;
    const finished = running.then((done) => (result = done));
    finished.catch(() => {});
    const view = async (): Promise<ClustersView | undefined> =>
      base === undefined ? undefined : ((await fetch(`${base}/clusters`).then((response) => response.json(), () => undefined)) as ClustersView | undefined);
    try {
      // Every subtask of the source and the sink reports, and the source has completed a checkpoint on A.
      await until(
        'the job to report its clusters',
        async () => {
          if (result !== undefined) throw new Error('the job ended before the migration');
          const now = await view();
          const ready =
            now !== undefined &&
            now.operators.length === 2 &&
            now.operators.every((operator) => operator.subtasks.length === 2) &&
            now.operators.some((operator) => operator.role === 'source' && operator.clusters.some((cluster) => cluster.lagAtCheckpoint !== undefined));
          return ready ? true : undefined;
        },
        180_000,
      );

      process.stderr.write(`[migration] job reporting after ${took()}\n`);
      const migrate = startMigrate(['migrate', '--metadata', metadataFile, '--stream', `${OUTPUT},${INPUT}`, '--from', idA, '--to', idB, '--url', base!, '--poll-ms', '200', '--quiet-ms', String(QUIET_MS)]);
      const said = (text: string): { at: number; text: string } | undefined => migrate.lines.find((line) => line.text.includes(text));

      // The producer stays on A well into the drain: the migration must wait there, saying that A still moves.
      await until('the migration to reach the drain', () => (phaseOf(metadataFile) === 'drain' ? true : undefined), 180_000);
      await sleep(HOLD_ON_A_MS);
      expect(phaseOf(metadataFile), migrate.lines.map((line) => line.text).join('\n')).toBe('drain');
      expect(said(`${idA}'s end offsets still moving`), migrate.lines.map((line) => line.text).join('\n')).toBeDefined();

      await producer.moveTo(B);
      const movedAt = Date.now();
      const outcome = await migrate.exited;
      const output = migrate.lines.map((line) => line.text).join('\n');
      expect(outcome.code, `${output}\n${outcome.stderr}`).toBe(0);

      // Every phase, in order, and A's removal from the source only after the move and a quiet time on A.
      const steps = ['phase dual-read: written', 'phase sink-cutover: written', 'phase drain: written', 'end offsets still moving', 'phase remove-source: written', 'phase done: written', 'is done'];
      const at = steps.map((text) => said(text)?.at ?? Number.NaN);
      expect(at.every((time) => Number.isFinite(time)), output).toBe(true);
      expect([...at].sort((x, y) => x - y)).toEqual(at);
      // The quiet starts at the first checkpoint measured after the last write to A, which may precede movedAt by the
      // few ms between the send's ack and the clock read here.
      expect(said('phase remove-source: written')!.at - movedAt, output).toBeGreaterThanOrEqual(QUIET_MS - 100);
      const began = migrate.lines[0]!.at;
      process.stderr.write(`[migration] ${steps.map((text, index) => `${text} +${((at[index]! - began) / 1000).toFixed(1)} s`).join(', ')}; producer moved +${((movedAt - began) / 1000).toFixed(1)} s\n`);
      expect(JSON.parse(readFileSync(metadataFile, 'utf8'))).toMatchObject({
        streams: { [INPUT]: [{ cluster: idB, topics: [IN_TOPIC] }], [OUTPUT]: [{ cluster: idB, topics: [OUT_TOPIC] }] },
        migration: { from: idA, to: idB, phase: 'done' },
      });
      const done = await view();
      expect(done!.operators.map((operator) => [operator.role, operator.migration?.phase, operator.clusters.map((cluster) => cluster.cluster)])).toEqual(
        expect.arrayContaining([
          ['source', 'done', [idB]],
          ['sink', 'done', [idB]],
        ]),
      );

      // The job goes on reading B after the migration; then the producer stops, and the job catches up.
      await sleep(1_000);
      await producer.stop();
      const stoppedAt = Date.now();
      // Cheap to ask: every source subtask has read B to its end at a checkpoint measured after the producer stopped.
      await until(
        'the job to read all of B',
        async () => {
          const source = (await view())?.operators.find((operator) => operator.role === 'source');
          const lags = source?.subtasks.map((subtask) => subtask.clusters.find((cluster) => cluster.cluster === idB)?.lagAtCheckpoint);
          const read = lags !== undefined && lags.length === 2 && lags.every((lag) => lag !== undefined && lag.lagRecords === 0 && (lag.measuredAt ?? 0) > stoppedAt);
          return read ? true : undefined;
        },
        120_000,
      );
      // Then its output: the epochs of those checkpoints are published once they complete.
      await until(
        'the job to write every key\'s last record on B',
        async () => {
          const onB = (await kafka.readCommitted(B, OUT_TOPIC)).map((record) => JSON.parse(record.value!) as CountedEvent);
          const last = new Map<string, number>();
          for (const record of onB) last.set(record.key, Math.max(last.get(record.key) ?? 0, record.seq));
          return KEYS.every((key) => last.get(key) === producer.written.get(key)) ? true : undefined;
        },
        120_000,
      );
    } finally {
      stop.abort();
      await producer.stop().catch(() => {});
    }
    process.stderr.write(`[migration] caught up on B after ${took()}\n`);
    await finished;
    expect(result!.stopped?.savepoint).toBeDefined();
    expect(result!.restarts, 'the job restarted during the migration').toBe(0);
    expect(producer.writtenTo.get(A)).toBeGreaterThan(0);
    expect(producer.writtenTo.get(B)).toBeGreaterThan(0);

    // Per cluster, a read_committed reader sees no record twice; the sink wrote on A before the cut-over, on B after.
    for (const index of [A, B]) {
      const ids = (await kafka.readCommitted(index, OUT_TOPIC)).map((record) => `${record.headers[RECORD_ID_HEADER]} ${record.value}`);
      expect(ids.length, `records on ${kafka.ids[index]}`).toBeGreaterThan(0);
      expect(ids.length - new Set(ids).size, `records on ${kafka.ids[index]} a read_committed reader sees twice`).toBe(0);
    }
    // The union of both, read as a downstream weir job would: every key's sequence once, counted once by the job.
    const unionFile = join(dir, 'union.json');
    writeFileSync(unionFile, JSON.stringify(kafka.metadata({ [OUTPUT]: [{ cluster: idA, topics: [OUT_TOPIC] }, { cluster: idB, topics: [OUT_TOPIC] }] })));
    const unionSpec: UnionReaderSpec = { metadataFile: unionFile, stream: OUTPUT, groupId: uniqueTopic('migration-union') };
    const union = (await runJob({ jobModule: UNION_JOB, params: unionSpec, parallelism: 2, logLevel: 'warn' })).outputs.get(UNION) as CountedEvent[];
    process.stderr.write(`[migration] union read after ${took()}\n`);
    const expected = new Map(KEYS.map((key) => [key, oneToN(producer.written.get(key)!)]));
    expect(perKey(union, 'seq')).toEqual(expected);
    expect(perKey(union, 'n')).toEqual(expected);
  });
});

/**
 * kafkaIo (src/testing/kafka-io.ts) against a broker of its own (started by the kit, so that its broker restarts
 * disturb no other test file): the input as the job reads it, the output as read_committed sees it, the Kafka faults.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from '../../src/core/signal.ts';
import { createKafkaClient, type KafkaRecordView } from '../../src/connectors/kafka/client/index.ts';
import { brokerPid } from '../../src/testing/kafka/broker.ts';
import { decodeEvent, encodeRecord, events, kafkaIo, type KafkaIoParams } from '../../src/testing/index.ts';

const io = kafkaIo();
const scratch = mkdtempSync(join(tmpdir(), 'weir-kafka-io-'));
afterAll(async () => {
  await io.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Every record of the topic's partitions, read_uncommitted, up to their ends now. */
async function readAll(brokers: string[], topic: string): Promise<KafkaRecordView[]> {
  const client = createKafkaClient({ brokers });
  const admin = await client.admin();
  const ends = await admin.offsetRange(topic);
  await admin.close();
  const remaining = new Map([...ends].filter(([, { high }]) => high > 0).map(([partition, { high }]) => [partition, high]));
  const records: KafkaRecordView[] = [];
  const fetcher = await client.fetcher({
    groupId: `kafka-io-test-${Date.now()}`, subtask: 0, parallelism: 1, readUncommitted: true,
    onBatch: (batch) => {
      records.push(...batch.records);
      if (batch.nextOffset >= (remaining.get(batch.partition) ?? 0)) remaining.delete(batch.partition);
    },
    onFailure: (error) => {
      throw error;
    },
  });
  await fetcher.start([...remaining.keys()].map((partition) => ({ topic, partition, offset: 0 })));
  while (remaining.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  await fetcher.close();
  await client.close();
  return records;
}

describe('kafkaIo', () => {
  it('produces the input keyed by key, in order per key, poison as its raw bytes, and passes the topics to the job', { timeout: 120_000 }, async () => {
    const [input] = fc.sample(events({ keys: 3, count: 60, poisonShare: 0.1, duplicateShare: 0.1, lateShare: 0.1 }), { numRuns: 1, seed: 7 });
    const run = await io.prepare({ input: input!, directory: scratch, runName: 'produce', parallelism: 2 });
    const params = run.params as unknown as KafkaIoParams;
    expect(params.brokers).toEqual(await io.brokers());
    expect(new Set([params.inputTopic, params.outputTopic, params.groupId, params.transactionalIdPrefix]).size).toBe(4);
    const produced = await readAll(params.brokers, params.inputTopic);
    expect(produced).toHaveLength(input!.length);
    expect(new Set(produced.map((record) => record.partition)).size).toBeGreaterThan(1);
    // One key, one partition, the key's records in input order; each value the record's bytes.
    for (const key of ['key-0', 'key-1', 'key-2']) {
      const sent = input!.filter((record) => record.key === key);
      const got = produced.filter((record) => record.key?.toString() === key).sort((a, b) => a.offset - b.offset);
      expect(new Set(got.map((record) => record.partition)).size).toBeLessThanOrEqual(1);
      expect(got.map((record) => record.value)).toEqual(sent.map((record) => encodeRecord(record)));
      sent.forEach((record, i) => {
        if (record.kind === 'event') expect(got[i]!.timestamp).toBe(record.timestamp);
        else expect(() => decodeEvent(got[i]!.value!)).toThrow();
      });
    }
  });

  it('reads back what committed transactions wrote to the output topic (one still open when the read starts too, once it commits), and nothing of an aborted one', { timeout: 120_000 }, async () => {
    const run = await io.prepare({ input: [], directory: scratch, runName: 'read', parallelism: 2 });
    const params = run.params as unknown as KafkaIoParams;
    const client = createKafkaClient({ brokers: params.brokers });
    const producer = await client.transactionalProducer({ transactionalId: `${params.transactionalIdPrefix}-0`, transactionTimeoutMs: 30_000 });
    const write = async (values: number[], commit: boolean): Promise<void> => {
      const transaction = await producer.begin();
      await transaction.send([{ topic: params.outputTopic, partition: 0, records: values.map((n) => ({ key: null, value: Buffer.from(JSON.stringify({ n })) })) }]);
      await (commit ? transaction.commit() : transaction.abort());
    };
    await write([1, 2], true);
    await write([3], false);
    await write([4], true);
    // A transaction still open when the output is read (a commit whose markers a restarted broker writes late looks
    // the same): the read waits for it past the moment its last stable offset has stayed put, and gets its records.
    const open = await producer.begin();
    await open.send([{ topic: params.outputTopic, partition: 0, records: [{ key: null, value: Buffer.from(JSON.stringify({ n: 5 })) }] }]);
    const output = run.readOutput();
    await sleep(2_000);
    await open.commit();
    expect(await output).toEqual([{ n: 1 }, { n: 2 }, { n: 4 }, { n: 5 }]);
    await producer.close();
    await client.close();
  });

  it('restarts its own broker (a new JVM on the same port and data) for broker-restart, and pauses it for cluster-outage', { timeout: 240_000 }, async () => {
    expect(io.faultKinds).toEqual(['broker-restart', 'cluster-outage']);
    const run = await io.prepare({ input: [{ key: 'a', timestamp: 1, n: 1 }], directory: scratch, runName: 'faults', parallelism: 1 });
    const params = run.params as unknown as KafkaIoParams;
    const before = await io.brokers();
    // brokerPid reads the pid the broker's dir records, so a stale handle would not hide a missing restart.
    const pidOf = (): number | undefined => brokerPid({ ...io.broker()!, pid: 0 });
    const first = pidOf();
    expect(first).toBeGreaterThan(0);
    await run.injectFault!('broker-restart');
    const second = pidOf();
    expect(second).toBeGreaterThan(0);
    expect(second).not.toBe(first);
    expect(await io.brokers()).toEqual(before);
    expect((await readAll(params.brokers, params.inputTopic)).map((record) => record.value?.toString())).toEqual([JSON.stringify({ key: 'a', timestamp: 1, n: 1 })]);
    const started = Date.now();
    await run.injectFault!('cluster-outage');
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(pidOf()).toBe(second); // paused and resumed, not restarted
  });

  it('gives no Kafka faults on brokers it was only given, and rejects bad options', () => {
    const given = kafkaIo({ brokers: '127.0.0.1:1' });
    expect(given.faultKinds).toEqual([]);
    expect(() => kafkaIo({ inputPartitions: 0 })).toThrow(/inputPartitions/);
  });
});

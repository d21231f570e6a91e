/**
 * Whole-cluster outages of a local cluster (src/testing/kafka/outage.ts, `npm run kafka -- outage`), as the multi-region
 * fault tests use them: a paused cluster accepts connections and answers nothing, a killed one comes back on the same
 * data with everything it committed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeKafka } from '../../src/connectors/kafka/client/index.ts';
import { brokerState } from '../../src/testing/kafka/outage.ts';
import { readState, writeState } from '../../scripts/kafka-state.ts';
import { sleep } from '../../src/core/signal.ts';
import { kafkaClient, produceRecords, uniqueTopic, useKafkaClusters } from '../fixtures/kafka-clusters.ts';
import { ROOT } from '../fixtures/weir-process.ts';

const kafka = useKafkaClusters(1);
const scratch = mkdtempSync(join(tmpdir(), 'weir-kafka-outage-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `npm run kafka -- outage <args>` on the fixture's cluster (recorded in a state file of this test's own). */
function outageCommand(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const state = join(scratch, 'state.json');
  writeState(kafka.clusters, state);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/kafka.ts', 'outage', ...args], { cwd: ROOT, env: { ...process.env, WEIR_KAFKA_STATE: state } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('cluster outages', () => {
  it('a paused cluster does not answer a metadata request within a short timeout, and answers once the outage ends', { timeout: 180_000 }, async () => {
    const address = kafka.clusters[0]!.address;
    await probeKafka(address, 2_000);
    const command = outageCommand(['0', '6', '--pause']);
    await until(() => brokerState(kafka.clusters[0]!) === 'paused', 'the broker is paused');
    const asked = Date.now();
    await expect(probeKafka(address, 1_500)).rejects.toThrow();
    expect(Date.now() - asked, 'the request waited for its timeout: the connection hangs, it is not refused').toBeGreaterThanOrEqual(1_000);
    const { code, stdout, stderr } = await command;
    expect(code, stderr).toBe(0);
    expect(stdout.trim()).toBe(address);
    expect(brokerState(kafka.clusters[0]!)).toBe('running');
    await probeKafka(address, 3_000);
  });

  it('a killed cluster comes back on its ports with every record committed before the kill, headers included', { timeout: 180_000 }, async () => {
    const topic = uniqueTopic('outage');
    await kafka.createTopic(topic, 2);
    const brokers = kafka.brokers(0);
    await produceRecords(brokers, topic, Array.from({ length: 500 }, (_, i) => ({ partition: i % 2, key: `k${i}`, value: `plain-${i}` })));
    const producer = kafkaClient(brokers).producer({ transactionalId: uniqueTopic('outage-tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ partition: i % 2, key: `t${i}`, value: `tx-${i}`, headers: { 'weir-id': `p|us-east|1|${i}` } })) });
    await transaction.commit();
    await producer.disconnect();
    const before = await kafka.readCommitted(0, topic);
    expect(before).toHaveLength(600);

    const oldPid = kafka.clusters[0]!.pid;
    const { code, stdout, stderr } = await outageCommand(['0', '2']);
    expect(code, stderr).toBe(0);
    expect(stdout.trim()).toBe(brokers[0]);
    // The command recorded the restarted broker: the fixture takes it from the state file.
    const [restarted] = readState(join(scratch, 'state.json'));
    expect(restarted?.pid).not.toBe(oldPid);
    expect(brokerState(restarted!)).toBe('running');

    const after = await kafka.readCommitted(0, topic);
    const summary = (records: typeof after): string[] => records.map(({ partition, offset, key, value, headers }) => `${partition}@${offset} ${key}=${value} ${headers['weir-id'] ?? ''}`).sort();
    expect(summary(after)).toEqual(summary(before));
    expect(after.filter(({ headers }) => headers['weir-id'] !== undefined)).toHaveLength(100);
  });

  it('the fixture ends an outage a test leaves running, so that the next test finds its clusters up', async () => {
    await kafka.beginOutage(0, 'pause');
    expect(brokerState(kafka.clusters[0]!)).toBe('paused');
  });

  it('(after the test above) the cluster answers again', async () => {
    expect(brokerState(kafka.clusters[0]!)).toBe('running');
    await probeKafka(kafka.clusters[0]!.address, 3_000);
  });
});

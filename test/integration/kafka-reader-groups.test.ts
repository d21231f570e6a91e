import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KafkaReaderParams } from '../fixtures/kafka-reader-job.ts';
import { createTopic, kafkaBrokers, kafkaClient, uniqueTopic } from '../fixtures/kafka.ts';
import { runWeir } from '../fixtures/weir-process.ts';
import { sleep } from '../../src/core/signal.ts';

const JOB = 'test/fixtures/kafka-reader-job.ts';
const PARALLELISM = 2;
const KILLS = 3;
/** A third of the default 30 s (the test waits for sessions to expire); the broker accepts 6 s and more. */
const SESSION_TIMEOUT_MS = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'weir-reader-groups-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readerGroups(brokers: string[], groupId: string): Promise<string[]> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    return groups.map((group) => group.groupId).filter((name) => name.startsWith(`${groupId}.weir-reader-`));
  } finally {
    await admin.disconnect();
  }
}

describe('Kafka reader groups across restarts', () => {
  it(`${KILLS} kill -9 restarts leave no reader groups behind once the killed members' sessions expired`, { timeout: 400_000 }, async () => {
    const brokers = kafkaBrokers();
    const input = uniqueTopic('readers');
    await createTopic(brokers, input, 4);
    const groupId = uniqueTopic('readers');
    const params: KafkaReaderParams = { brokers: brokers.join(','), input, groupId, parallelism: PARALLELISM, sessionTimeoutMs: SESSION_TIMEOUT_MS };
    const args = ['run', JOB, '--checkpoint-dir', join(dir, 'checkpoints'), '--params', JSON.stringify(params)];
    // Each start makes a reader group per subtask; kill it once they are there.
    for (let kill = 1; kill <= KILLS; kill++) {
      const before = await readerGroups(brokers, groupId);
      const outcome = await runWeir(args, {}, (child) => {
        void (async () => {
          while (child.exitCode === null) {
            const now = await readerGroups(brokers, groupId);
            if (now.filter((name) => !before.includes(name)).length === PARALLELISM) break;
            await sleep(200);
          }
          child.kill('SIGKILL');
        })();
      });
      expect(outcome.signal, outcome.stderr).toBe('SIGKILL');
    }
    // Before, every kill left its groups for good: KILLS x PARALLELISM of them, plus the running job's.
    expect((await readerGroups(brokers, groupId)).length).toBeGreaterThanOrEqual(PARALLELISM);

    // The last start deletes the groups whose members' sessions have expired, and the others once theirs expire.
    let groups: string[] = [];
    const outcome = await runWeir(args, {}, (child) => {
      void (async () => {
        const deadline = Date.now() + SESSION_TIMEOUT_MS + 90_000;
        while (child.exitCode === null && Date.now() < deadline) {
          groups = await readerGroups(brokers, groupId);
          if (groups.length === PARALLELISM) break;
          await sleep(1_000);
        }
        child.kill('SIGKILL');
      })();
    });
    expect(outcome.signal, outcome.stderr).toBe('SIGKILL');
    expect(groups, 'the reader groups while the last start ran').toHaveLength(PARALLELISM);
  });
});

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fetchKafka, KAFKA_VERSION } from '../../src/testing/kafka/fetch.ts';
import { murmur2, partitionForKey, STICKY_BYTES, StickyPartitions } from '../../src/connectors/kafka/client/partitioner.ts';

/** Kafka's Utils.murmur2 of each key, computed by the kafka-clients jar itself (test/fixtures/java/Murmur2.java). */
function javaMurmur2(keys: readonly Uint8Array[]): number[] {
  const libs = fetchKafka();
  const classpath = [join(libs, `kafka-clients-${KAFKA_VERSION}.jar`), join(libs, 'slf4j-api-1.7.36.jar')].join(':');
  const program = fileURLToPath(new URL('../fixtures/java/Murmur2.java', import.meta.url));
  const java = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';
  const input = keys.map((key) => Buffer.from(key).toString('hex')).join('\n') + '\n';
  const result = spawnSync(java, ['-cp', classpath, program], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error || result.status !== 0) throw new Error(`the Java reference failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}`);
  const hashes = result.stdout.trim().split('\n').map(Number);
  if (hashes.length !== keys.length) throw new Error(`the Java reference answered ${hashes.length} hashes for ${keys.length} keys`);
  return hashes;
}

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('murmur2', () => {
  it('matches known answers of Kafka 3.9.2 Utils.murmur2 (each key length mod 4)', () => {
    // printf '\n61\n6162\n616263\n61626364\n' | java -cp kafka-clients-3.9.2.jar:slf4j-api-1.7.36.jar test/fixtures/java/Murmur2.java
    expect(['', 'a', 'ab', 'abc', 'abcd'].map((key) => murmur2(bytes(key)))).toEqual([275646681, -1563381124, 316155434, 479470107, -1323649548]);
  });

  it('hashes random byte keys as Kafka\'s Java client does', { timeout: 120_000 }, () => {
    // Keys up to 70 bytes (every tail length, bytes with the sign bit set) and the record keys weir's jobs use.
    const keyArbitrary = fc.oneof(fc.uint8Array({ maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 24 }).map(bytes));
    const keys = fc.sample(keyArbitrary, { numRuns: 2_000 });
    const expected = javaMurmur2(keys);
    // One Java run answers every sampled key; fast-check's property then checks them (and shrinks to the first failing index).
    fc.assert(
      fc.property(fc.integer({ min: 0, max: keys.length - 1 }), (index) => murmur2(keys[index]!) === expected[index]),
      { numRuns: keys.length * 4 },
    );
    expect(keys.map((key) => murmur2(key))).toEqual(expected);
  });
});

describe('partitionForKey', () => {
  it('is toPositive(murmur2) modulo the partition count, always in range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 1_000 }), (key, partitions) => {
        const partition = partitionForKey(key, partitions);
        return partition >= 0 && partition < partitions && partition === (murmur2(key) & 0x7fffffff) % partitions;
      }),
    );
  });
});

describe('StickyPartitions', () => {
  it('keeps unkeyed records on one partition for about STICKY_BYTES, then moves to the next', () => {
    const sticky = new StickyPartitions();
    const first = sticky.next('t', 4, 100);
    let sent = 100;
    while (sent < STICKY_BYTES) {
      expect(sticky.next('t', 4, 100)).toBe(first);
      sent += 100;
    }
    expect(sticky.next('t', 4, 100)).toBe((first + 1) % 4);
  });

  it('spreads a long run of unkeyed records evenly over every partition', () => {
    const sticky = new StickyPartitions();
    const counts = new Map<number, number>();
    for (let i = 0; i < 4 * 1_000 * 10; i++) {
      const partition = sticky.next('t', 4, STICKY_BYTES / 1_000);
      counts.set(partition, (counts.get(partition) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const count of counts.values()) expect(count).toBe(10_000);
  });

  it('stays in range when a topic has fewer partitions than before', () => {
    const sticky = new StickyPartitions();
    for (let i = 0; i < 100; i++) sticky.next('t', 8, STICKY_BYTES);
    expect(sticky.next('t', 2, 1)).toBeLessThan(2);
  });
});

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeEpochLog, EpochLog } from '../../src/connectors/kafka/epoch-log.ts';
import type { OutgoingRecord } from '../../src/connectors/kafka/outgoing.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-epoch-log-'));
  dirs.push(dir);
  return join(dir, 'scratch');
}

/** A record as the decoder gives it back: bytes as Buffers, absent key as null. */
function normalised({ topic, message }: OutgoingRecord): unknown {
  const bytes = (value: Buffer | string | null | undefined): string | null => (value === null || value === undefined ? null : Buffer.from(value).toString('hex'));
  const headers = message.headers === undefined ? undefined : Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, bytes(value as Buffer | string)]));
  return { topic, key: bytes(message.key), value: bytes(message.value), partition: message.partition, headers };
}

async function collect<T>(items: AsyncIterable<T[]>): Promise<T[][]> {
  const batches: T[][] = [];
  for await (const batch of items) batches.push(batch);
  return batches;
}

/** The same bytes cut at other places: a decoder must not care where its reads end. */
async function* rechunked(chunks: AsyncIterable<Uint8Array>, cuts: readonly number[]): AsyncGenerator<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  const all = Buffer.concat(parts);
  let at = 0;
  for (const cut of cuts) {
    const end = Math.min(all.length, at + cut);
    yield all.subarray(at, end);
    at = end;
  }
  if (at < all.length) yield all.subarray(at);
}

const bytes = fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array));
const outgoing: fc.Arbitrary<OutgoingRecord> = fc.record({
  topic: fc.stringMatching(/^[a-z0-9._-]{1,20}$/),
  key: fc.option(fc.oneof(bytes, fc.string({ maxLength: 20 })), { nil: undefined }),
  value: fc.option(bytes, { nil: null }),
  partition: fc.option(fc.nat(1000), { nil: undefined }),
  headers: fc.option(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.oneof(bytes, fc.string({ maxLength: 10 })), { maxKeys: 3 }), { nil: undefined }),
}).map(({ topic, key, value, partition, headers }) => ({
  topic,
  message: { value, ...(key === undefined ? {} : { key }), ...(partition === undefined ? {} : { partition }), ...(headers === undefined ? {} : { headers }) },
}));

describe('EpochLog', () => {
  it('gives back every record in order, whatever was spilled and wherever the bytes are cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(outgoing, { maxLength: 200 }),
        fc.integer({ min: 64, max: 4096 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 60 }),
        async (records, memoryBytes, cuts) => {
          const log = new EpochLog(await scratch(), 'epoch-0-test', memoryBytes);
          for (const record of records) {
            log.append(record);
            // What the writer does after each batch: past the bound, the bytes go to the spill file.
            if (log.overMemoryLimit) await log.spillMemory();
          }
          await log.seal();
          const decoded = (await collect(decodeEpochLog(rechunked(log.chunks(), cuts)))).flat();
          expect(decoded.map(normalised)).toEqual(records.map(normalised));
          expect(log.records).toBe(records.length);
          await log.discard();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps at most its bound in memory: the rest is in its spill file, which goes once the log is discarded', async () => {
    const dir = await scratch();
    const log = new EpochLog(dir, 'epoch-1-test', 10_000);
    const value = Buffer.alloc(1_000, 7);
    for (let i = 0; i < 100; i++) {
      log.append({ topic: 'out', message: { key: String(i), value } });
      if (log.overMemoryLimit) await log.spillMemory();
    }
    await log.seal();
    const spilled = await readdir(dir);
    expect(spilled).toEqual(['epoch-1-test.log']);
    const batches = await collect(decodeEpochLog(log.chunks()));
    expect(batches.flat().map(({ message }) => message.key!.toString())).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    await log.discard();
    expect(existsSync(join(dir, 'epoch-1-test.log'))).toBe(false);
  });

  it('a read begun before a discard gets every record, spilled and in memory, and the spill file goes after it', async () => {
    const dir = await scratch();
    const log = new EpochLog(dir, 'epoch-4-test', 100);
    for (let i = 0; i < 20; i++) {
      log.append({ topic: 'out', message: { value: String(i).repeat(20) } });
      if (i === 10) await log.spillMemory();
    }
    await log.seal();
    // What a snapshot does while the epoch's publish ends: it asked for the bytes, then the log was discarded.
    const reading = log.chunks();
    await log.discard();
    expect(existsSync(join(dir, 'epoch-4-test.log'))).toBe(true);
    const values = (await collect(decodeEpochLog(reading))).flat().map(({ message }) => message.value!.toString());
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => String(i).repeat(20)));
    expect(existsSync(join(dir, 'epoch-4-test.log'))).toBe(false);
    expect(() => log.chunks()).toThrow(/after it was discarded/);
  });

  it('stays in memory without a scratch directory', async () => {
    const log = new EpochLog(undefined, 'epoch-2-test', 10);
    log.append({ topic: 'out', message: { value: 'a' } });
    log.append({ topic: 'out', message: { value: 'b' } });
    expect(log.overMemoryLimit).toBe(false);
    await log.seal();
    const values = (await collect(decodeEpochLog(log.chunks()))).flat().map(({ message }) => message.value!.toString());
    expect(values).toEqual(['a', 'b']);
  });

  it('refuses a log cut off in the middle of a record', async () => {
    const log = new EpochLog(undefined, 'epoch-3-test');
    log.append({ topic: 'out', message: { value: 'whole' } });
    await log.seal();
    const cut = async function* (): AsyncGenerator<Uint8Array> {
      for await (const chunk of log.chunks()) yield chunk.subarray(0, chunk.length - 2);
    };
    await expect(collect(decodeEpochLog(cut()))).rejects.toThrow(/middle of a record/);
  });
});

import { createReadStream } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import type { OutgoingMessage, OutgoingRecord } from './outgoing.ts';

/** Bytes an epoch log keeps in memory before it appends them to its spill file. */
export const DEFAULT_EPOCH_MEMORY_BYTES = 4 * 1024 * 1024;
/** Memory is taken in slabs of this size (a larger record gets a slab of its own). */
const SLAB_BYTES = 256 * 1024;
/** Decoded records are handed out in batches of about this many bytes (below the broker's default message.max.bytes). */
export const BATCH_BYTES = 512 * 1024;

const ABSENT = -1;
const headerPackr = new Packr({ useRecords: false });

/**
 * One epoch's records as bytes, in the order written: each record one frame
 * `[u32 frame length][u16 topic length][topic][i32 partition][i32 key length][key][i32 value length][value][i32 headers length][msgpack headers]`
 * (length -1: absent). Records are encoded as they are written, so no record object outlives its write; beyond
 * `memoryBytes` the bytes go to a spill file in the attempt's scratch directory (without one, they stay in memory).
 * The same bytes are what a checkpoint stores and what the transaction publishes.
 */
export class EpochLog {
  records = 0;
  bytes = 0;
  private slabs: Buffer[] = [];
  private slab: Buffer | undefined;
  private used = 0;
  private memoryBytes = 0;
  private spill: { readonly path: string; handle: FileHandle | undefined } | undefined;
  /** Spill appends, in order; its rejection is the log's failure. */
  private spilling: Promise<void> = Promise.resolve();
  private readers = 0;
  private discarded = false;

  constructor(
    private readonly scratchDir: string | undefined,
    private readonly name: string,
    private readonly memoryLimit = DEFAULT_EPOCH_MEMORY_BYTES,
  ) {}

  append({ topic, message }: OutgoingRecord): void {
    const topicLength = Buffer.byteLength(topic);
    const key = asBytes(message.key);
    const value = asBytes(message.value);
    const headers = message.headers === undefined ? undefined : headerPackr.pack(message.headers);
    const size = 4 + 2 + topicLength + 4 + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0) + 4 + (headers?.length ?? 0);
    const slab = this.room(size);
    let at = this.used;
    at = slab.writeUInt32BE(size - 4, at);
    at = slab.writeUInt16BE(topicLength, at);
    at += slab.write(topic, at, 'utf8');
    at = slab.writeInt32BE(message.partition ?? ABSENT, at);
    at = writeBytes(slab, at, key);
    at = writeBytes(slab, at, value);
    at = writeBytes(slab, at, headers);
    this.used = at;
    this.records++;
    this.bytes += size;
    this.memoryBytes += size;
  }

  /** Whether the bytes in memory passed the bound: the writer then awaits `spillMemory` (between batches). */
  get overMemoryLimit(): boolean {
    return this.scratchDir !== undefined && this.memoryBytes > this.memoryLimit;
  }

  /** Appends what is in memory to the spill file and lets it go. */
  spillMemory(): Promise<void> {
    const chunks = this.takeMemory();
    this.spilling = this.spilling.then(async () => {
      if (chunks.length === 0) return;
      const spill = (this.spill ??= { path: join(this.scratchDir!, `${this.name}.log`), handle: undefined });
      if (spill.handle === undefined) {
        await mkdir(this.scratchDir!, { recursive: true });
        // Exclusive: the name is this log's alone (the scratch directory is this attempt's).
        spill.handle = await open(spill.path, 'wx');
      }
      await spill.handle.writev(chunks);
    });
    return this.spilling;
  }

  /** No more records: later reads see exactly what was appended. */
  async seal(): Promise<void> {
    await this.spilling;
    await this.spill?.handle?.close();
    if (this.spill !== undefined) this.spill.handle = undefined;
    if (this.slab !== undefined && this.used > 0) this.slabs.push(this.slab.subarray(0, this.used));
    this.slab = undefined;
    this.used = 0;
  }

  /**
   * The sealed log's bytes, in order: the spill file's, then those still in memory. The reader counts from this call
   * on (not from its first read), so a discard meanwhile keeps what it will read.
   */
  chunks(): AsyncIterable<Uint8Array> {
    if (this.discarded) throw new Error(`epoch log ${this.name} was read after it was discarded`);
    this.readers++;
    return this.read(this.spill?.path, this.slabs);
  }

  private async *read(spillPath: string | undefined, slabs: readonly Buffer[]): AsyncGenerator<Uint8Array> {
    try {
      if (spillPath !== undefined) for await (const chunk of createReadStream(spillPath, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
      yield* slabs;
    } finally {
      this.readers--;
      if (this.discarded && this.readers === 0) await this.removeSpill();
    }
  }

  /** The log is not needed any more: its spill file goes (once no reader is left) and its memory is let go. */
  async discard(): Promise<void> {
    this.discarded = true;
    this.slabs = [];
    this.slab = undefined;
    await this.spilling.catch(() => {});
    await this.spill?.handle?.close().catch(() => {});
    if (this.spill !== undefined) this.spill.handle = undefined;
    if (this.readers === 0) await this.removeSpill();
  }

  private async removeSpill(): Promise<void> {
    if (this.spill !== undefined) await rm(this.spill.path, { force: true });
  }

  private takeMemory(): Buffer[] {
    if (this.slab !== undefined && this.used > 0) this.slabs.push(this.slab.subarray(0, this.used));
    const chunks = this.slabs;
    this.slabs = [];
    this.slab = undefined;
    this.used = 0;
    this.memoryBytes = 0;
    return chunks;
  }

  private room(size: number): Buffer {
    if (this.slab !== undefined && this.used + size <= this.slab.length) return this.slab;
    if (this.slab !== undefined) this.slabs.push(this.slab.subarray(0, this.used));
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, size));
    this.used = 0;
    return this.slab;
  }
}

function asBytes(data: Buffer | string | null | undefined): Buffer | undefined {
  if (data === null || data === undefined) return undefined;
  return typeof data === 'string' ? Buffer.from(data) : data;
}

function writeBytes(slab: Buffer, at: number, bytes: Uint8Array | undefined): number {
  if (bytes === undefined) return slab.writeInt32BE(ABSENT, at);
  const next = slab.writeInt32BE(bytes.length, at);
  slab.set(bytes, next);
  return next + bytes.length;
}

/**
 * Decodes an epoch log's bytes back into records, in batches of about BATCH_BYTES, by topic as a producer's
 * sendBatch takes them. Keys and values are views of the bytes read, not copies. A truncated log is an error.
 */
export async function* decodeEpochLog(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<OutgoingRecord[]> {
  let carry: Buffer | undefined;
  let batch: OutgoingRecord[] = [];
  let batchBytes = 0;
  for await (const chunk of chunks) {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (carry !== undefined) bytes = Buffer.concat([carry, bytes]);
    let at = 0;
    while (at + 4 <= bytes.length) {
      const size = bytes.readUInt32BE(at);
      if (at + 4 + size > bytes.length) break;
      batch.push(decodeFrame(bytes, at + 4));
      at += 4 + size;
      batchBytes += size;
      if (batchBytes >= BATCH_BYTES) {
        yield batch;
        batch = [];
        batchBytes = 0;
      }
    }
    carry = at < bytes.length ? bytes.subarray(at) : undefined;
  }
  if (carry !== undefined) throw new Error(`an epoch log ends in the middle of a record (${carry.length} bytes left over)`);
  if (batch.length > 0) yield batch;
}

function decodeFrame(bytes: Buffer, start: number): OutgoingRecord {
  let at = start;
  const topicLength = bytes.readUInt16BE(at);
  at += 2;
  const topic = bytes.toString('utf8', at, at + topicLength);
  at += topicLength;
  const partition = bytes.readInt32BE(at);
  at += 4;
  const [key, afterKey] = readBytes(bytes, at);
  const [value, afterValue] = readBytes(bytes, afterKey);
  const [headers] = readBytes(bytes, afterValue);
  const message: OutgoingMessage = { key: key ?? null, value: value ?? null };
  if (partition !== ABSENT) message.partition = partition;
  if (headers !== undefined) message.headers = headersOf(headers);
  return { topic, message };
}

function readBytes(bytes: Buffer, at: number): [Buffer | undefined, number] {
  const length = bytes.readInt32BE(at);
  if (length === ABSENT) return [undefined, at + 4];
  return [bytes.subarray(at + 4, at + 4 + length), at + 4 + length];
}

/** msgpack gives header bytes back as Uint8Array views; a producer wants Buffers or strings. */
function headersOf(bytes: Buffer): NonNullable<OutgoingMessage['headers']> {
  const decoded = headerPackr.unpack(bytes) as Record<string, Uint8Array | string>;
  const headers: NonNullable<OutgoingMessage['headers']> = {};
  for (const [name, value] of Object.entries(decoded)) headers[name] = bufferOf(value);
  return headers;
}

function bufferOf(value: Uint8Array | string): Buffer | string {
  return typeof value === 'string' || Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** The path a log of `name` spills to in `scratchDir` (for tests that check a log spilled). */
export function spillPath(scratchDir: string, name: string): string {
  return join(scratchDir, `${name}.log`);
}

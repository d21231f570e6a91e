import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { open } from 'lmdb';
import { Packr } from 'msgpackr';

/**
 * `node --import tsx bench/limits.ts [--records N]`: what the runtime's building blocks cost on one thread, for the
 * table in docs/architecture.md (why records cross threads in msgpack batches, why state writes are batched).
 * Small records, the same for every row; one line per row, records (or operations) per second.
 */
const RECORDS = Number(process.argv[process.argv.indexOf('--records') + 1] || 1_000_000);
const BATCH = 1_000;
const PUT_SYNC_OPS = 2_000;

const records = Array.from({ length: RECORDS }, (_, i) => ({ id: i, user: `u${i % 1_000}`, stars: i % 5, ts: 1_700_000_000_000 + i }));
const batches: (typeof records)[] = [];
for (let i = 0; i < RECORDS; i += BATCH) batches.push(records.slice(i, i + BATCH));

function rate(count: number, startedMs: number): string {
  const perSecond = count / ((performance.now() - startedMs) / 1_000);
  return perSecond >= 1e5 ? `${(perSecond / 1e6).toFixed(2)} M/s` : `${Math.round(perSecond).toLocaleString('en')}/s`;
}

function row(operation: string, result: string): void {
  console.log(`| ${operation} | ${result} |`);
}

function timed(operation: string, count: number, body: () => void, extra = ''): void {
  body(); // warm-up
  const started = performance.now();
  body();
  row(operation, `${rate(count, started)}${extra}`);
}

/** A worker that counts what arrives and answers once it has `expected` records. */
function counter(expected: number): Worker {
  return new Worker(
    `const { parentPort } = require('node:worker_threads'); let seen = 0;
     parentPort.on('message', (m) => { seen += m.count ?? 1; if (seen >= ${expected}) { parentPort.postMessage(seen); seen = 0; } });`,
    { eval: true },
  );
}

async function throughWorker(operation: string, send: (worker: Worker) => void): Promise<void> {
  const worker = counter(RECORDS);
  const done = (): Promise<unknown> => new Promise((resolve) => worker.once('message', resolve));
  let finished = done();
  send(worker); // warm-up
  await finished;
  finished = done();
  const started = performance.now();
  send(worker);
  await finished;
  row(operation, rate(RECORDS, started));
  await worker.terminate();
}

console.log(`Node ${process.version}, ${RECORDS.toLocaleString('en')} records, one thread, ${new Date().toISOString().slice(0, 10)}`);
console.log('| operation | rate |\n| --- | --- |');

timed('keyed count in a `Map`', RECORDS, () => {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.user, (counts.get(record.user) ?? 0) + 1);
});

const packr = new Packr({ useRecords: true, moreTypes: true, bundleStrings: true });
const packed = batches.map((batch) => packr.pack(batch));
const packedBytes = packed.reduce((sum, bytes) => sum + bytes.byteLength, 0) / RECORDS;
timed('msgpackr pack, record structures on (batches of 1,000)', RECORDS, () => batches.forEach((batch) => packr.pack(batch)), `, ${packedBytes.toFixed(0)} bytes/record`);
timed('msgpackr unpack', RECORDS, () => packed.forEach((bytes) => packr.unpack(bytes)));

const json = batches.map((batch) => JSON.stringify(batch));
const jsonBytes = json.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / RECORDS;
timed('JSON.stringify (batches of 1,000)', RECORDS, () => batches.forEach((batch) => JSON.stringify(batch)), `, ${jsonBytes.toFixed(0)} bytes/record`);
timed('JSON.parse', RECORDS, () => json.forEach((text) => JSON.parse(text)));
timed('structuredClone of a batch', RECORDS, () => batches.forEach((batch) => structuredClone(batch)));

await throughWorker('postMessage to a worker, transferred batches of 1,000 packed records', (worker) => {
  for (const bytes of packed) {
    const copy = new Uint8Array(bytes);
    worker.postMessage({ bytes: copy, count: BATCH }, [copy.buffer]);
  }
});
await throughWorker('postMessage to a worker, one object per record', (worker) => {
  for (const record of records) worker.postMessage(record);
});

const dir = mkdtempSync(join(tmpdir(), 'weir-limits-'));
try {
  const db = open({ path: dir, noSubdir: false });
  let started = performance.now();
  db.transactionSync(() => {
    for (const record of records) db.put(record.id, record);
  });
  row('LMDB puts inside one write transaction', rate(RECORDS, started));
  started = performance.now();
  for (const record of records) db.get(record.id);
  row('LMDB gets', rate(RECORDS, started));
  started = performance.now();
  for (let i = 0; i < PUT_SYNC_OPS; i++) db.putSync(RECORDS + i, records[i]);
  row('LMDB putSync, one synced transaction each', rate(PUT_SYNC_OPS, started));
  await db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

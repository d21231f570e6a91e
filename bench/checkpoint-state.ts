import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { restoreKeyedSnapshot, writeKeyedSnapshot, type KeyedSnapshot } from '../src/checkpoint/keyed-snapshot.ts';
import { LocalCheckpointStorage } from '../src/checkpoint/local-storage.ts';
import type { StoredFile } from '../src/checkpoint/storage.ts';
import { ValueStateDescriptor } from '../src/state/descriptors.ts';
import { LmdbKeyedStateBackend } from '../src/state/lmdb-backend.ts';

/**
 * Checkpoints at the state layer, in one thread, without a job around them: N keys in a ValueState of one LMDB
 * backend, a full snapshot, 1% of the keys changed, an incremental snapshot (measureSnapshots); then both restored
 * into a fresh backend (measureRecovery, in another process so its RSS and CPU are its own). `dir` holds the LMDB
 * environments, the checkpoint storage and a manifest handing the chain from one process to the next; run.ts makes
 * and removes it.
 */
const MAX_PARALLELISM = 128;
const CACHE_ENTRIES = 100_000;
const CHANGED_FRACTION = 0.01;
const JOB_ID = 'bench';
const MANIFEST = 'chain.json';
const SAMPLES = 1_000;
const count = new ValueStateDescriptor<number>('count');

/** Keys are 0..N-1. A key holds `key` at first and `-key - 1` once changed, so a read-back shows which it holds. */
const changedValue = (key: number): number => -key - 1;

interface Manifest {
  readonly keys: number;
  readonly chain: { readonly checkpointId: number; readonly file: StoredFile }[];
  /** [key, expected value] after the incremental snapshot: changed keys and unchanged ones. */
  readonly samples: [number, number][];
}

const seconds = (ms: number): number => Number((ms / 1000).toFixed(3));
const rssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const cpu = process.cpuUsage(since);
  return Number(((cpu.user + cpu.system) / 1e6).toFixed(2));
};

function storageIn(dir: string): LocalCheckpointStorage {
  return new LocalCheckpointStorage(join(dir, 'checkpoints'), JOB_ID);
}

async function openBackend(path: string): Promise<LmdbKeyedStateBackend> {
  return LmdbKeyedStateBackend.open({ path, maxParallelism: MAX_PARALLELISM, cacheEntries: CACHE_ENTRIES });
}

/** `count` distinct keys below `keys`, from a fixed seed (xorshift32): every run changes the same keys. */
function pickKeys(keys: number, count: number): number[] {
  let seed = 0x2545f491;
  const picked = new Set<number>();
  while (picked.size < count) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    picked.add(Math.floor(((seed >>> 0) / 2 ** 32) * keys));
  }
  return [...picked];
}

/**
 * Times one snapshot as a subtask takes it at a barrier: `syncSeconds` until writeKeyedSnapshot hands back its
 * promise (the part that holds up records), `seconds` until the file is written and synced.
 */
async function timedSnapshot(backend: LmdbKeyedStateBackend, storage: LocalCheckpointStorage, checkpointId: number, incremental: boolean) {
  const started = performance.now();
  const pending = writeKeyedSnapshot(backend, storage, checkpointId, 'op-0', incremental);
  const syncSeconds = seconds(performance.now() - started);
  const snapshot: KeyedSnapshot = await pending;
  return { snapshot, syncSeconds, seconds: seconds(performance.now() - started) };
}

/** Fills `keys` keys, snapshots them whole, changes 1% and snapshots again incrementally; leaves the manifest in `dir`. */
export async function measureSnapshots(keys: number, dir: string): Promise<Record<string, unknown>> {
  const cpuBefore = process.cpuUsage();
  const backend = await openBackend(join(dir, 'source'));
  const storage = storageIn(dir);
  const state = backend.getState(count);

  const fillStarted = performance.now();
  for (let key = 0; key < keys; key++) {
    backend.setCurrentKey(key);
    state.update(key);
  }
  const fillMs = performance.now() - fillStarted;
  const full = await timedSnapshot(backend, storage, 1, false);

  const changed = pickKeys(keys, Math.round(keys * CHANGED_FRACTION));
  for (const key of changed) {
    backend.setCurrentKey(key);
    state.update(changedValue(key));
  }
  const incremental = await timedSnapshot(backend, storage, 2, true);
  await backend.close();

  // Half the samples changed, half (most likely) not: a restore that dropped the incremental file fails either half.
  const samples: [number, number][] = changed.slice(0, SAMPLES / 2).map((key) => [key, changedValue(key)]);
  const changedSet = new Set(changed);
  for (let key = 0; samples.length < SAMPLES && key < keys; key += Math.max(1, Math.floor(keys / SAMPLES))) {
    samples.push([key, changedSet.has(key) ? changedValue(key) : key]);
  }
  const manifest: Manifest = {
    keys,
    chain: [
      { checkpointId: 1, file: full.snapshot.file },
      { checkpointId: 2, file: incremental.snapshot.file },
    ],
    samples,
  };
  await writeFile(join(dir, MANIFEST), JSON.stringify(manifest));

  return {
    bench: 'checkpoint',
    measure: 'snapshot',
    engine: 'weir',
    parallelism: 1,
    // The events of this measure are the keys written while filling; eventsPerSec is that fill rate.
    events: keys,
    eventsPerSec: Math.round(keys / (fillMs / 1000)),
    cpuSeconds: cpuSeconds(cpuBefore),
    peakRssMb: rssMb(),
    keys,
    fillSeconds: seconds(fillMs),
    fullBytes: full.snapshot.file.bytes,
    fullSeconds: full.seconds,
    fullSyncSeconds: full.syncSeconds,
    changedKeys: changed.length,
    incrementalBytes: incremental.snapshot.file.bytes,
    incrementalSeconds: incremental.seconds,
    incrementalSyncSeconds: incremental.syncSeconds,
    // False when the change log kept up; true would mean the "incremental" snapshot fell back to a full one.
    incrementalWasFull: incremental.snapshot.full,
    incrementalBytesPerChangedKey: Number((incremental.snapshot.file.bytes / changed.length).toFixed(1)),
  };
}

/** Restores the chain measureSnapshots left in `dir` into a fresh backend, then checks the sampled keys. */
export async function measureRecovery(dir: string): Promise<Record<string, unknown>> {
  const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
  const backend = await openBackend(join(dir, 'restored'));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await restoreKeyedSnapshot(backend, storageIn(dir), manifest.chain, { start: 0, end: MAX_PARALLELISM });
  const restoreMs = performance.now() - started;
  const cpu = cpuSeconds(cpuBefore);

  const state = backend.getState(count);
  for (const [key, expected] of manifest.samples) {
    backend.setCurrentKey(key);
    const value = state.value();
    if (value !== expected) throw new Error(`restored key ${key} holds ${String(value)}, expected ${expected}`);
  }
  await backend.close();

  return {
    bench: 'checkpoint',
    measure: 'recovery',
    engine: 'weir',
    parallelism: 1,
    events: manifest.keys,
    eventsPerSec: Math.round(manifest.keys / (restoreMs / 1000)),
    cpuSeconds: cpu,
    peakRssMb: rssMb(),
    keys: manifest.keys,
    files: manifest.chain.length,
    restoreSeconds: seconds(restoreMs),
    keysPerSec: Math.round(manifest.keys / (restoreMs / 1000)),
    samplesVerified: manifest.samples.length,
  };
}

import type { Namespace } from './backend.ts';
import type { StoredKeyPart } from './key-codec.ts';

/**
 * A Bloom filter of the (state, namespace, key) entries ever written to one LMDB environment, so that a cache miss on
 * an entry LMDB never held (a new key, a new window, a key whose state is absent) costs no LMDB read: RocksDB's bloom
 * filters, for the same reason. Deletes leave their bits set (a false positive is only a read that finds nothing).
 *
 * 2^25 bits (4 MiB) and 3 probes: about 2% false positives at 2M stored entries, 20% at 10M; past that it degrades to
 * the plain read, never to a wrong answer. Nexmark q3 at parallelism 1 (120,000 sellers through a 100,000-entry
 * cache) spent about a tenth of its time in LMDB reads of entries that were not there.
 */
const BITS_LOG2 = 25;
const WORD_MASK = (1 << (BITS_LOG2 - 5)) - 1;
const PROBES = 3;

export class StoredKeyFilter {
  /** Allocated with the first entry: state that never leaves the cache costs no 4 MiB per subtask. */
  private words: Uint32Array | undefined;

  add(stateHash: number, namespace: Namespace, part: StoredKeyPart): void {
    const words = (this.words ??= new Uint32Array(1 << (BITS_LOG2 - 5)));
    const h1 = entryHash(stateHash, namespace, part);
    const h2 = fmix32(h1 ^ 0x5bd1e995) | 1;
    for (let i = 0, bit = h1; i < PROBES; i++, bit = (bit + h2) | 0) words[(bit >>> 5) & WORD_MASK]! |= 1 << (bit & 31);
  }

  /** False when the entry was certainly never added. */
  mightContain(stateHash: number, namespace: Namespace, part: StoredKeyPart): boolean {
    const words = this.words;
    if (words === undefined) return false;
    const h1 = entryHash(stateHash, namespace, part);
    const h2 = fmix32(h1 ^ 0x5bd1e995) | 1;
    for (let i = 0, bit = h1; i < PROBES; i++, bit = (bit + h2) | 0) {
      if ((words[(bit >>> 5) & WORD_MASK]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** A state name's hash, computed once per state table. */
export function stateNameHash(name: string): number {
  return hashPart(name, 0x9747b28c);
}

function entryHash(stateHash: number, namespace: Namespace, part: StoredKeyPart): number {
  return hashPart(part, hashPart(namespace, stateHash));
}

const float = new Float64Array(1);
const floatWords = new Uint32Array(float.buffer);

function hashPart(part: string | number, seed: number): number {
  if (typeof part === 'number') {
    // 32-bit integers (most keys) skip the float view.
    if ((part | 0) === part) return fmix32(Math.imul(seed ^ part, 0xcc9e2d51));
    float[0] = part;
    return fmix32(Math.imul(seed ^ floatWords[0]!, 0xcc9e2d51) ^ floatWords[1]!);
  }
  // FNV-1a over UTF-16 code units.
  let hash = seed ^ 0x811c9dc5;
  for (let i = 0; i < part.length; i++) hash = Math.imul(hash ^ part.charCodeAt(i), 0x01000193);
  return fmix32(hash);
}

/** MurmurHash3's finaliser: every input bit reaches every output bit. */
function fmix32(value: number): number {
  let h = value;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * key -> stable 32-bit hash -> key group -> subtask (docs/architecture.md, decision 5).
 * The hash must never change between versions: savepoints store state by key group.
 */
export const DEFAULT_MAX_PARALLELISM = 128;

const float64 = new Float64Array(1);
const float64Words = new Int32Array(float64.buffer);

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashString(s: string, seed: number): number {
  let h = seed;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = mix(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h = mix(h, s.charCodeAt(i));
  return finalize(h, n);
}

/** Murmur3-style hash of a key. Strings, numbers, booleans, bigints, arrays and plain objects are supported. */
export function hashKey(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return hashString(key, 0x9747b28c);
    case 'number':
      if (Number.isInteger(key) && key >= -0x80000000 && key <= 0x7fffffff) return finalize(mix(0x2545f491, key), 4);
      float64[0] = key;
      return finalize(mix(mix(0x2545f491, float64Words[0]!), float64Words[1]!), 8);
    case 'boolean':
      return key ? 0x4f1bbcdd : 0x2f0e1eb9;
    case 'bigint':
      return hashString(key.toString(), 0x1b873593);
    case 'object':
      if (isCompositeKey(key)) return hashString(canonicalKey(key), 0x3c6ef372);
  }
  throw new TypeError(`a key must be a string, number, boolean, bigint, array or plain object, got ${describeKey(key)}`);
}

/** Arrays and plain objects can be keys; a Map, Set, Date or class instance has no stable canonical form here. */
export function isCompositeKey(key: unknown): key is object {
  if (typeof key !== 'object' || key === null) return false;
  if (Array.isArray(key)) return true;
  const prototype: unknown = Object.getPrototypeOf(key);
  return prototype === Object.prototype || prototype === null;
}

function describeKey(key: unknown): string {
  if (typeof key === 'object' && key !== null) return `a ${key.constructor?.name ?? 'null-prototype'} object`;
  return String(key);
}

/** A canonical string for composite keys, so that equal arrays or objects hash and compare alike. */
export function canonicalKey(key: object): string {
  return JSON.stringify(key, (_name, value: unknown) => {
    if (typeof value === 'bigint') return `${value}n`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const sorted: Record<string, unknown> = {};
      for (const name of Object.keys(value).sort()) sorted[name] = (value as Record<string, unknown>)[name];
      return sorted;
    }
    return value;
  });
}

export function keyGroupFor(key: unknown, maxParallelism: number): number {
  return hashKey(key) % maxParallelism;
}

/** Which subtask owns a key group: contiguous ranges, as in Flink, so rescaling moves whole ranges. */
export function subtaskForKeyGroup(keyGroup: number, maxParallelism: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

import { isCompositeKey } from './key-groups.ts';

/**
 * Identity of a record key (or a MapState user key) inside the cache: plain primitives stand for themselves (a JS Map
 * already keeps '1', 1, 1n and true apart), composites become a tagged canonical string. Strings that start with the
 * tag character are escaped, so no string can pose as a composite, bigint or non-finite number.
 */
export type CacheKey = string | number | boolean | bigint;

/**
 * One key part as stored in LMDB (ordered-binary): finite numbers and strings only, so that record keys, state keys
 * and raw-table (timer) keys share one encoding.
 */
export type StoredKeyPart = string | number;

const TAG_CODE = 1;
const STRING = '\u0001s';
const COMPOSITE = '\u0001c';
const BIGINT = '\u0001n';
const NON_FINITE = '\u0001f';
const BOOLEAN = '\u0001b';

/** Hot path: must stay a handful of type checks for primitive keys. */
export function cacheKeyOf(key: unknown): CacheKey {
  switch (typeof key) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return key;
    case 'string':
      return key.charCodeAt(0) === TAG_CODE ? STRING + key : key;
    case 'object':
      if (isCompositeKey(key)) return COMPOSITE + encodeComposite(key);
  }
  throw new TypeError(`a key must be a string, number, boolean, bigint, array or plain object, got ${describe(key)}`);
}

/** The original key back from its cache identity (composites come back as equal plain data). */
export function keyOfCacheKey(ck: CacheKey): unknown {
  if (typeof ck !== 'string' || ck.charCodeAt(0) !== TAG_CODE) return ck;
  const body = ck.slice(2);
  switch (ck[1]) {
    case 's':
      return body;
    case 'c':
      return decodeComposite(body);
  }
  throw new Error(`corrupt state key ${JSON.stringify(ck)}`);
}

/**
 * ordered-binary cannot store -0 (garbles it), NaN or ±Infinity (read back as null), and turns bigints into doubles;
 * those get a tag, and so do booleans (raw-table keys take strings and numbers only). Strings and finite numbers are
 * stored as is, so plain keys cost nothing to encode.
 */
export function storedPartOf(ck: CacheKey): StoredKeyPart {
  switch (typeof ck) {
    case 'number':
      if (Number.isFinite(ck)) return ck === 0 ? 0 : ck;
      return NON_FINITE + String(ck);
    case 'bigint':
      return BIGINT + ck.toString();
    case 'boolean':
      return BOOLEAN + (ck ? '1' : '0');
    default:
      return ck;
  }
}

export function cacheKeyOfStoredPart(part: StoredKeyPart): CacheKey {
  if (typeof part !== 'string' || part.charCodeAt(0) !== TAG_CODE) return part;
  switch (part[1]) {
    case 'n':
      return BigInt(part.slice(2));
    case 'f':
      return Number(part.slice(2));
    case 'b':
      return part[2] === '1';
    default:
      return part;
  }
}

/** Sorted object keys (equal objects encode alike); bigints, non-finite numbers and tag-led strings are tagged. */
function encodeComposite(key: object): string {
  return JSON.stringify(key, (_name: string, value: unknown) => {
    switch (typeof value) {
      case 'string':
        return value.charCodeAt(0) === TAG_CODE ? STRING + value : value;
      case 'bigint':
        return BIGINT + value.toString();
      case 'number':
        return Number.isFinite(value) ? value : NON_FINITE + String(value);
      case 'object':
        if (value !== null && !Array.isArray(value)) {
          const sorted: Record<string, unknown> = {};
          for (const name of Object.keys(value).sort()) sorted[name] = (value as Record<string, unknown>)[name];
          return sorted;
        }
    }
    return value;
  });
}

function decodeComposite(json: string): unknown {
  return JSON.parse(json, (_name, value: unknown) => {
    if (typeof value !== 'string' || value.charCodeAt(0) !== TAG_CODE) return value;
    const body = value.slice(2);
    switch (value[1]) {
      case 's':
        return body;
      case 'n':
        return BigInt(body);
      case 'f':
        return Number(body);
    }
    throw new Error(`corrupt composite state key ${JSON.stringify(json)}`);
  });
}

function describe(key: unknown): string {
  if (typeof key === 'object' && key !== null) return `a ${key.constructor?.name ?? 'null-prototype'} object`;
  return String(key);
}

/** Raw-table key parts (timers): finite numbers and strings; -0 is folded into 0 because LMDB cannot keep it. */
export function checkRawParts(parts: readonly (string | number)[]): readonly (string | number)[] {
  let copy: (string | number)[] | undefined;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (typeof part === 'string') continue;
    if (typeof part !== 'number' || !Number.isFinite(part)) {
      throw new TypeError(`raw key parts must be strings or finite numbers, got ${String(part)}`);
    }
    if (Object.is(part, -0)) (copy ??= [...parts])[i] = 0;
  }
  return copy ?? parts;
}

/** Code-point order of strings, which is the UTF-8 byte order ordered-binary sorts by (JS `<` is UTF-16 order). */
function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** The order LMDB keeps raw keys in: element by element, numbers before strings, a prefix before its extensions. */
export function compareRawParts(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number') return typeof y === 'number' ? x - y : -1;
    if (typeof y === 'number') return 1;
    return compareStrings(x, y);
  }
  return a.length - b.length;
}

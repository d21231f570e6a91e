import { createHash } from 'node:crypto';
import type { QueryName } from './queries.ts';

/**
 * The result hash of a Nexmark run, the same on every engine (bench/flink ResultDigest.java and Canonical.java): each
 * result's canonical text (a JSON object of the query's result fields in a fixed order; for q0 the event's JSON) is
 * hashed with SHA-256, and the first 16 bytes, as an unsigned big-endian number, are summed modulo 2^128. Equal
 * multisets of results give equal sums whatever order the subtasks emitted them in; unequal ones collide with
 * negligible chance. Unlike sorting the results and hashing the list, it holds no results (q0 makes one per event).
 */
const CANONICAL_FIELDS: Record<Exclude<QueryName, 'q0'>, readonly string[]> = {
  q1: ['auction', 'bidder', 'price', 'dateTime'],
  q2: ['auction', 'price'],
  q3: ['name', 'city', 'state', 'auction'],
  q5: ['auction', 'count', 'windowEnd'],
  'q5-unsliced': ['auction', 'count', 'windowEnd'],
  q7: ['auction', 'bidder', 'price', 'dateTime', 'extra', 'windowEnd'],
  q8: ['id', 'name', 'reserve'],
  count: ['auction', 'windowEnd', 'count'],
};
const MODULUS = 1n << 128n;
const HEAD_BYTES = 16;

/** The canonical text of one result of `query`. */
export function canonicalText(query: QueryName, record: unknown): string {
  if (query === 'q0') return JSON.stringify(record);
  const fields = CANONICAL_FIELDS[query];
  const values = record as Record<string, unknown>;
  const canonical: Record<string, unknown> = {};
  for (const field of fields) {
    const value = values[field];
    if (typeof value !== 'string' && !Number.isInteger(value)) throw new TypeError(`${query} result field ${field} is ${String(value)}, not an integer or a string`);
    canonical[field] = value;
  }
  return JSON.stringify(canonical);
}

/** Sums the results' hashes; `sum` of several digests combine with `combineDigests`. */
export class ResultDigest {
  private total = 0n;

  constructor(private readonly query: QueryName) {}

  add(record: unknown): void {
    const head = createHash('sha256').update(canonicalText(this.query, record)).digest().subarray(0, HEAD_BYTES);
    this.total = (this.total + BigInt(`0x${head.toString('hex')}`)) % MODULUS;
  }

  get sum(): bigint {
    return this.total;
  }
}

export const combineDigests = (a: bigint, b: bigint): bigint => (a + b) % MODULUS;
/** 32 lower-case hex digits, as ResultDigest.hex in Java. */
export const digestHex = (sum: bigint): string => sum.toString(16).padStart(32, '0');

/** The hash of a whole list of results (the reference's, in tests). */
export function resultHash(query: QueryName, records: readonly unknown[]): string {
  const digest = new ResultDigest(query);
  for (const record of records) digest.add(record);
  return digestHex(digest.sum);
}

/**
 * weir's Kafka partitioner: the partitions Java's client chooses, computed in 32-bit integer arithmetic.
 *
 * Keyed records go where Java's default partitioner sends them, `toPositive(murmur2(keyBytes)) % numPartitions`, so
 * a key lands in the same partition whichever client wrote it (Kafka Streams, a Java producer, weir). kafkajs's
 * murmur2 computes the same hash through a 64-bit `Long` object per step, which a profile of the sink showed as a
 * visible share of its time; Math.imul gives the low 32 bits of the product directly, which is all Java's `int`
 * arithmetic keeps.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Java's `Utils.murmur2(byte[])`: the signed 32-bit hash. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const end = length & ~3;
  for (let i = 0; i < end; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // Java's switch falls through its cases: a tail of 3 takes in bytes 2, 1 and 0, then multiplies once.
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[end + 2]! << 16;
    if (tail >= 2) h ^= data[end + 1]! << 8;
    h ^= data[end]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's `Utils.toPositive`: clears the sign bit (not the absolute value). */
export const toPositive = (hash: number): number => hash & 0x7fffffff;

/** The partition of a keyed record, as Java's default (and built-in) partitioner chooses it. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return toPositive(murmur2(key)) % partitions;
}

/**
 * Unkeyed records, per topic: sticky. They go to one partition until about STICKY_BYTES have gone there, then to
 * the next (round-robin from a random start). This is what Java's client does since 3.3 (KIP-794, without its
 * broker-load weighting): a send carries a few large per-partition batches instead of many of one record each,
 * which costs less to encode, to append and to fetch, while partitions still fill evenly over time. Per-record
 * round-robin (kafkajs's choice) would split every flush into `partitions` small batches.
 */
export const STICKY_BYTES = 16 * 1024;

export class StickyPartitions {
  private readonly current = new Map<string, { partition: number; bytes: number }>();

  /** The partition for an unkeyed record of `bytes` bytes. */
  next(topic: string, partitions: number, bytes: number): number {
    let sticky = this.current.get(topic);
    if (sticky === undefined) this.current.set(topic, (sticky = { partition: Math.floor(Math.random() * partitions), bytes: 0 }));
    else if (sticky.bytes >= STICKY_BYTES) {
      sticky.partition++;
      sticky.bytes = 0;
    }
    // A topic whose partition count changed: stay in range.
    sticky.partition %= partitions;
    sticky.bytes += bytes;
    return sticky.partition;
  }
}

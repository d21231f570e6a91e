package weir.bench.nexmark;

/**
 * Bit-for-bit port of weir's RecordRandom (src/connectors/generator.ts): a SplitMix32-style generator reseeded from
 * (seed, event number), so an event depends on its number alone. JavaScript's Math.imul and `| 0` are Java's int
 * arithmetic; `>>> 0` is the unsigned view of the int; next() is that uint32 / 2^32 as a double, exactly as in JS.
 */
public final class RecordRandom {
  private int state;

  public void reseed(long seed, long index) {
    // (int) of an integral long is JS's ToInt32; floorDiv matches Math.floor(index / 2^32) (exact below 2^53).
    state = ((int) seed * 0x9e3779b1) ^ ((int) index * 0x85ebca6b) ^ (int) Math.floorDiv(index, 0x100000000L);
  }

  /** Next 32-bit unsigned integer. */
  public long nextUint32() {
    state += 0x9e3779b9;
    int z = state;
    z = (z ^ (z >>> 16)) * 0x21f0aaad;
    z = (z ^ (z >>> 15)) * 0x735a2d97;
    return (z ^ (z >>> 15)) & 0xffffffffL;
  }

  /** Uniform in [0, 1). */
  public double next() {
    return nextUint32() / 4294967296.0;
  }

  /** Uniform integer in [0, bound): Math.floor(next() * bound) in doubles, as the TypeScript does. */
  public long nextInt(long bound) {
    return (long) Math.floor(next() * (double) bound);
  }
}

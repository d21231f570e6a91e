package weir.bench.nexmark;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A hash of a multiset of results, whatever order the subtasks emitted them in (bench/nexmark/result-digest.ts): the
 * sum modulo 2^128 of the first 16 bytes of each result's SHA-256 (of its canonical text, UTF-8), as an unsigned
 * big-endian number. Equal multisets give equal sums; unequal ones collide with negligible chance. Unlike sorting the
 * results and hashing the list, it needs no memory for the results (q0 makes one per event).
 */
final class ResultDigest {
  private static final BigInteger MODULUS = BigInteger.ONE.shiftLeft(128);
  private static final int BYTES = 16;

  private final MessageDigest sha;
  private BigInteger sum = BigInteger.ZERO;

  ResultDigest() {
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  void add(String canonical) {
    byte[] digest = sha.digest(canonical.getBytes(StandardCharsets.UTF_8));
    byte[] head = new byte[BYTES];
    System.arraycopy(digest, 0, head, 0, BYTES);
    sum = sum.add(new BigInteger(1, head)).mod(MODULUS);
  }

  /** Adds another digest's sum (another subtask's). */
  static BigInteger combine(BigInteger a, BigInteger b) {
    return a.add(b).mod(MODULUS);
  }

  BigInteger sum() {
    return sum;
  }

  /** 32 lower-case hex digits. */
  static String hex(BigInteger sum) {
    return String.format("%032x", sum);
  }
}

package weir.bench.nexmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The measurement marks (bench/README.md, "What is measured"). The local environment runs every subtask in this JVM,
 * so static maps carry each subtask's mark back to Main after env.execute() returns. Each mark samples the process's
 * CPU time with its wall-clock time, so that the span's CPU is the difference between the marks that bound it.
 */
public final class Marks {
  /** A moment: wall-clock ms and the process's CPU ns (every thread) at it; at a warm-up mark, the RSS too. */
  record Moment(long atMs, long cpuNanos, long rssKb) {}

  /** Per source subtask: when it made its first event numbered at least the warm-up. */
  static final Map<Integer, Moment> SOURCE_STARTS = new ConcurrentHashMap<>();
  /** Per sink subtask: when its input ended. */
  static final Map<Integer, Moment> SINK_ENDS = new ConcurrentHashMap<>();
  /** Records that reached the sinks, all subtasks. */
  static final AtomicLong RESULTS = new AtomicLong();
  /** The sinks' result digests combined (verification runs only). */
  static final AtomicReference<BigInteger> DIGEST = new AtomicReference<>(BigInteger.ZERO);
  /** Whether the kernel let a warm-up mark reset the peak RSS (then peak RSS covers the span only). */
  static volatile boolean peakResetAtStart;

  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private Marks() {}

  static void sourceStarted(int subtask) {
    // The latest warm-up mark starts the span, so the latest reset is the one that counts.
    peakResetAtStart = ProcStatus.resetPeak();
    SOURCE_STARTS.put(subtask, new Moment(System.currentTimeMillis(), cpuNanos(), ProcStatus.kb("VmRSS:")));
  }

  static void sinkEnded(int subtask, long results, BigInteger digest) {
    SINK_ENDS.put(subtask, new Moment(System.currentTimeMillis(), cpuNanos(), 0));
    RESULTS.addAndGet(results);
    if (digest != null) DIGEST.accumulateAndGet(digest, ResultDigest::combine);
  }

  static long cpuNanos() {
    return OS.getProcessCpuTime();
  }

  /** The measurement starts at the latest source mark. */
  static Moment start() {
    return SOURCE_STARTS.values().stream().max(Comparator.comparingLong(Moment::atMs)).orElseThrow();
  }

  /** The measurement ends at the latest sink mark. */
  static Moment end() {
    return SINK_ENDS.values().stream().max(Comparator.comparingLong(Moment::atMs)).orElseThrow();
  }

  /** /proc/self: resident set sizes, and the reset of the peak (Linux 4.0+, `echo 5 > clear_refs`). */
  static final class ProcStatus {
    private ProcStatus() {}

    static long kb(String field) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith(field)) return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      throw new IllegalStateException("no " + field + " in /proc/self/status");
    }

    static boolean resetPeak() {
      try {
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        return true;
      } catch (IOException | SecurityException e) {
        return false;
      }
    }
  }
}

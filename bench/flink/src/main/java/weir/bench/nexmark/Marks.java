package weir.bench.nexmark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The measurement marks (bench/README.md, "What is measured"). The local environment runs every subtask in this JVM,
 * so static maps carry each subtask's mark back to Main after env.execute() returns.
 */
public final class Marks {
  /** Per source subtask: wall-clock ms when it made its first event numbered at least the warm-up. */
  static final Map<Integer, Long> SOURCE_STARTS = new ConcurrentHashMap<>();
  /** Per sink subtask: wall-clock ms when its input ended. */
  static final Map<Integer, Long> SINK_ENDS = new ConcurrentHashMap<>();
  /** Records that reached the sinks, all subtasks. */
  static final AtomicLong RESULTS = new AtomicLong();

  private Marks() {}

  static void sourceStarted(int subtask) {
    SOURCE_STARTS.put(subtask, System.currentTimeMillis());
  }

  static void sinkEnded(int subtask, long results) {
    SINK_ENDS.put(subtask, System.currentTimeMillis());
    RESULTS.addAndGet(results);
  }

  /** The measurement starts at the latest source mark. */
  static long start() {
    return SOURCE_STARTS.values().stream().mapToLong(Long::longValue).max().orElseThrow();
  }

  /** The measurement ends at the latest sink mark. */
  static long end() {
    return SINK_ENDS.values().stream().mapToLong(Long::longValue).max().orElseThrow();
  }
}

package weir.bench.kafka;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The `kafka` benchmark's job on Kafka Streams (bench/README.md, "Kafka, weir beside Kafka Streams"): the input
 * topic -> running count per user (reduce into a RocksDB store, record cache off) -> one output record per input,
 * keyed by user. Runs until it has emitted one output per input record, closes (which commits the last offsets and,
 * exactly-once, the last transaction) and prints one JSON line on stdout:
 *   --brokers B --input T --output T --application-id A --state-dir D --guarantee at-least-once|exactly-once
 *   --threads N --events N --commit-interval-ms MS --timeout-ms MS
 */
public final class Main {
  private Main() {}

  public static void main(String[] argv) throws Exception {
    // The JVM's own start-up is not the job's work: CPU is counted from here (the total is printed beside it).
    long cpuAtStart = processCpuNanos();
    Map<String, String> args = parse(argv);
    long events = Long.parseLong(need(args, "events"));
    long timeoutMs = Long.parseLong(need(args, "timeout-ms"));
    int threads = Integer.parseInt(need(args, "threads"));

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, need(args, "application-id"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, need(args, "brokers"));
    props.put(StreamsConfig.STATE_DIR_CONFIG, need(args, "state-dir"));
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee(need(args, "guarantee")));
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(need(args, "commit-interval-ms")));
    // No record cache: every update of a count goes downstream, one output per input (as weir's reduce emits).
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    AtomicLong emitted = new AtomicLong();
    CountDownLatch finished = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Serde<Click> clicks = ClickSerde.create();
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(need(args, "input"), Consumed.with(Serdes.String(), clicks))
        // The input is keyed by user (bench/kafka-topics.ts prefill), so grouping by key needs no repartition topic;
        // a record keyed otherwise would be counted under the wrong user: fail instead.
        .peek((user, click) -> {
          if (!user.equals(click.user())) throw new IllegalStateException("record keyed " + user + " holds a click of " + click.user());
        })
        .groupByKey(Grouped.with(Serdes.String(), clicks))
        .reduce((a, b) -> new Click(a.user(), a.n() + b.n()), Materialized.with(Serdes.String(), clicks))
        .toStream()
        .peek((user, count) -> {
          if (emitted.incrementAndGet() == events) finished.countDown();
        })
        .to(need(args, "output"), Produced.with(Serdes.String(), clicks));

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    streams.setUncaughtExceptionHandler(error -> {
      failure.compareAndSet(null, error);
      finished.countDown();
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    long started = System.nanoTime();
    streams.start();
    boolean done = finished.await(timeoutMs, TimeUnit.MILLISECONDS);
    long lastEmitted = System.nanoTime();
    // A clean close commits every task: the last offsets and, exactly-once, the last transaction.
    boolean closed = streams.close(Duration.ofMillis(timeoutMs));
    long ended = System.nanoTime();
    if (failure.get() != null) throw new IllegalStateException("Kafka Streams failed", failure.get());
    if (!done) throw new IllegalStateException("emitted " + emitted.get() + " of " + events + " records in " + timeoutMs + " ms");
    if (!closed) throw new IllegalStateException("Kafka Streams did not close within " + timeoutMs + " ms");

    long cpuAtEnd = processCpuNanos();
    String json = "{\"emitted\":" + emitted.get()
        + ",\"runningSeconds\":" + decimals((ended - started) / 1e9, 3)
        + ",\"closeSeconds\":" + decimals((ended - lastEmitted) / 1e9, 3)
        + ",\"cpuSeconds\":" + decimals((cpuAtEnd - cpuAtStart) / 1e9, 2)
        + ",\"cpuSecondsWithJvmStart\":" + decimals(cpuAtEnd / 1e9, 2)
        + threadCpu()
        + ",\"peakRssMb\":" + peakRssMb()
        + ",\"maxHeapMb\":" + Runtime.getRuntime().maxMemory() / (1024 * 1024) + "}";
    System.out.println(json);
    System.out.flush();
  }

  private static String guarantee(String mode) {
    switch (mode) {
      case "at-least-once": return StreamsConfig.AT_LEAST_ONCE;
      case "exactly-once": return StreamsConfig.EXACTLY_ONCE_V2;
      default: throw new IllegalArgumentException("--guarantee must be at-least-once or exactly-once, got " + mode);
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /**
   * CPU seconds of the JVM's JIT compiler threads and garbage collector threads, from /proc/self/task (Linux; USER_HZ
   * 100), as `,"jitCpuSeconds":..,"gcCpuSeconds":..`: where the process's CPU went besides the job. Threads alive at
   * the end only (the JVM may retire compiler threads earlier), JVM start-up included.
   */
  private static String threadCpu() throws IOException {
    long jitTicks = 0;
    long gcTicks = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (NoSuchFileException gone) {
          continue; // the thread ended meanwhile
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
        if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) jitTicks += ticks;
        else if (name.startsWith("GC Thread") || name.startsWith("G1 ")) gcTicks += ticks;
      }
    }
    return ",\"jitCpuSeconds\":" + decimals(jitTicks / 100.0, 2) + ",\"gcCpuSeconds\":" + decimals(gcTicks / 100.0, 2);
  }

  /** VmHWM, the process's peak resident set, in MiB. */
  private static long peakRssMb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        long kb = Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
        return Math.round(kb / 1024.0);
      }
    }
    throw new IllegalStateException("no VmHWM in /proc/self/status");
  }

  /** Rounded to `places` decimals and printed as JavaScript prints a number (no trailing zeros). */
  private static String decimals(double value, int places) {
    return BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
  }

  private static Map<String, String> parse(String[] argv) {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i < argv.length; i++) {
      if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("expected --name value, got " + argv[i]);
      args.put(argv[i].substring(2), argv[++i]);
    }
    return args;
  }

  private static String need(Map<String, String> args, String name) {
    String value = args.get(name);
    if (value == null) throw new IllegalArgumentException("missing --" + name);
    return value;
  }
}
